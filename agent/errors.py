"""One error tree for Frontdesk.

Every error a user can act on is a :class:`FrontdeskError`. The message names the
file, field, flow, node, tenant or variable involved; causes are chained with
``raise ... from e``.

::

    FrontdeskError
    ├── ConfigError          bad or missing setting (names the variable)
    ├── FileError            a bad file (names file:line)
    │   ├── FlowLoadError    a flow file that cannot be loaded
    │   │   └── ScenarioError  a flow scenario file that cannot be loaded or run
    │   ├── TenantError      unknown tenant or bad tenant file
    │   │   └── UnknownTenantError  no tenant has the room's key (id, number, campaign)
    │   └── KnowledgeError   a knowledge document that cannot be read (names the file)
    ├── RenderError          a flow drawing that cannot be made
    ├── FlowRuntimeError     a flow that fails while a call runs (names flow and node)
    ├── ProviderError        a speech/LLM provider failed (``retryable`` says if retrying helps)
    ├── StackError           the local LiveKit stack cannot be found, built or started
    ├── DemoError            the demo cannot call this tenant (no script for its flow)
    ├── StoreError           the call store failed
    │   ├── StoreUnavailable it cannot take writes now (down, unreachable, timed out,
    │   │                    not migrated): retry later, nothing is lost meanwhile
    │   └── StoreRefused     it is up and refuses this record (a value too long for its
    │                        column, a constraint): retrying cannot help
    ├── DeliveryError        a notification could not be delivered
    ├── SipError             LiveKit's SIP service refused a trunk, rule or call
    └── RequestError         a bad request to the dispatcher's HTTP API (names the field)
"""

from __future__ import annotations


class FrontdeskError(Exception):
    """Root of every error Frontdesk raises on purpose."""


class ConfigError(FrontdeskError):
    """A setting is missing or invalid. The message names the environment variable."""


class FileError(FrontdeskError):
    """A problem in a file: the message starts with ``path:line:`` when they are known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


class FlowLoadError(FileError):
    """A flow (or flow scenario) file failed to load or validate."""


class ScenarioError(FlowLoadError):
    """A flow scenario file cannot be loaded, or names a flow or tenant that cannot be."""


class RenderError(FrontdeskError):
    """A flow drawing could not be made (e.g. Graphviz is not installed)."""


class FlowRuntimeError(FrontdeskError):
    """A flow failed while it ran."""


class TenantError(FileError):
    """A tenant is unknown or its configuration file is invalid."""


class UnknownTenantError(TenantError):
    """No tenant has the key a room carries (tenant id, called number or campaign).

    The call is refused politely; it is never given to another tenant."""

    def __init__(self, message: str, *, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(message)


class KnowledgeError(FileError):
    """A knowledge document cannot be read or parsed; the message names the file."""


class ProviderError(FrontdeskError):
    """A provider could not be built or failed while it ran."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class StackError(FrontdeskError):
    """The local LiveKit stack could not be located, built or started."""


class SipError(FrontdeskError):
    """LiveKit's SIP service refused a trunk, a dispatch rule or a call (the message says
    which and why); ``sip_status`` is the SIP response code when a call failed with one."""

    def __init__(self, message: str, *, sip_status: int | None = None) -> None:
        self.sip_status = sip_status
        super().__init__(message)


class DemoError(FrontdeskError):
    """The demo cannot place this call (for example: no caller script for the flow)."""


class StoreError(FrontdeskError):
    """The call store failed. ``retryable`` says whether the same write may succeed later."""

    retryable = False


class StoreUnavailable(StoreError):
    """The store cannot take the write now: the server is down or unreachable, the
    connection broke or timed out, or the schema is not migrated yet. Keep the record
    (the spool) and try again."""

    retryable = True


class StoreRefused(StoreError):
    """The store is up and refuses this record (a value too long for its column, a
    constraint, bad data): writing it again will fail again, so it is set aside."""


class DeliveryError(FrontdeskError):
    """A notification could not be delivered. ``timed_out``: the receiver did not answer in
    time, so it may have taken it (the retry carries the same idempotency key)."""

    def __init__(self, message: str, *, retryable: bool = True, timed_out: bool = False) -> None:
        self.retryable = retryable
        self.timed_out = timed_out
        super().__init__(message)


class RequestError(FrontdeskError):
    """A request to the dispatcher's HTTP API that cannot be served: answered with
    ``status`` and a JSON body ``{"error": message, "field": field}``."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None) -> None:
        self.status = status
        self.field = field
        super().__init__(message)
