"""One error tree for Frontdesk.

Every error a user can act on is a :class:`FrontdeskError`. The message names the
file, field, flow, node, tenant or variable involved; causes are chained with
``raise ... from e``.

::

    FrontdeskError
    ├── ConfigError          bad or missing setting (names the variable)
    ├── FlowLoadError        a flow file that cannot be loaded (names file:line)
    ├── FlowRuntimeError     a flow that fails while a call runs (names flow and node)
    ├── TenantError          unknown tenant or bad tenant file
    ├── ProviderError        a speech/LLM provider failed (``retryable`` says if retrying helps)
    ├── StackError           the local LiveKit stack cannot be found, built or started
    ├── StoreError           the call store failed
    └── DeliveryError        a notification could not be delivered
"""

from __future__ import annotations


class FrontdeskError(Exception):
    """Root of every error Frontdesk raises on purpose."""


class ConfigError(FrontdeskError):
    """A setting is missing or invalid. The message names the environment variable."""


class FlowLoadError(FrontdeskError):
    """A flow file failed to load or validate."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


class FlowRuntimeError(FrontdeskError):
    """A flow failed while it ran."""


class TenantError(FrontdeskError):
    """A tenant is unknown or its configuration is invalid."""


class ProviderError(FrontdeskError):
    """A provider could not be built or failed while it ran."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class StackError(FrontdeskError):
    """The local LiveKit stack could not be located, built or started."""


class StoreError(FrontdeskError):
    """The call store failed."""


class DeliveryError(FrontdeskError):
    """A notification could not be delivered."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)
