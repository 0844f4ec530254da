"""``llm``: an open task. The LLM talks with the caller under the node's instructions
until it calls one of the node's tools, which fills slots and leads to a transition.

The node has no deterministic reading: every caller turn is a
:class:`~..actions.Consult`. A reply is spoken as is; a tool call fills the slots named
by its parameters, says the tool's ``say`` (no dead air) and goes to its target. When
the LLM fails the node reprompts, and past its retries (or ``max_turns``) it takes
``fallback``, so the call goes on scripted.
"""

from __future__ import annotations

from ..actions import Replied, ToolCalled, ToolSpec
from ..answers import Answer
from ..model import LlmNode
from ..turn import Turn
from .base import ListeningHandler


class LlmHandler(ListeningHandler[LlmNode]):
    def enter(self, turn: Turn, node: LlmNode) -> None:
        turn.say(node.prompt)
        turn.listen(node)

    def prompt(self, turn: Turn, node: LlmNode) -> str:
        return node.prompt

    def hear(self, turn: Turn, node: LlmNode, text: str) -> bool:
        return False  # only the LLM reads an llm node's turns

    def give_up(self, turn: Turn, node: LlmNode, silent: bool) -> None:
        turn.go(node.fallback, "no_input" if silent else "retries_exhausted")

    def tools(self, turn: Turn, node: LlmNode) -> tuple[ToolSpec, ...]:
        return tuple(
            ToolSpec(
                tool.name,
                tool.description,
                {name: (p.type, p.description) for name, p in tool.parameters.items()},
            )
            for tool in node.tools
        )

    def may_reply(self, node: LlmNode) -> bool:
        return True

    def assisted(self, turn: Turn, node: LlmNode, text: str, assist: ToolCalled | Replied) -> bool:
        if isinstance(assist, Replied):
            if not assist.text.strip():
                return False
            turns = turn.state.llm_turns + 1
            turn.update(llm_turns=turns, retries=0)
            turn.say_text(assist.text.strip())
            if turns >= node.max_turns:
                turn.go(node.fallback, "retries_exhausted")
            else:
                turn.listen(node)
            return True
        tool = next((t for t in node.tools if t.name == assist.name), None)
        if tool is None:
            return False
        missing = [
            n for n, p in tool.parameters.items() if p.required and n not in assist.arguments
        ]
        if missing:
            return False
        for name in tool.parameters:
            if name in assist.arguments:
                value = str(assist.arguments[name])
                turn.fill(name, Answer(value, value), text)
        if tool.say:
            turn.say(tool.say)
        turn.go(tool.to, "tool", by_llm=True)
        return True
