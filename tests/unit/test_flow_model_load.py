"""Flow loading: the shipped flow loads, and every kind of mistake names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ROOT
from agent.errors import FlowLoadError, TenantError
from agent.flow import (
    AskNode,
    AskType,
    EndNode,
    Keyword,
    OwnSlotEquals,
    SayNode,
    SlotEquals,
    TemplateContext,
    TenantInfo,
    flow_json_schema,
    load_flow,
    load_flow_by_id,
    parse_flow,
)

pytestmark = pytest.mark.unit

FLOWS_DIR = ROOT / "flows"

MINI = """\
version: 1
id: mini
start: hello
globals:
  goodbye:
    to: bye
nodes:
  hello:
    kind: say
    text: "{{ greeting_for_time_of_day }}, this is {{ tenant.name }}."
    next: pick
  pick:
    kind: ask
    prompt: Tea or coffee?
    reprompts: ["Sorry, tea or coffee?", "Please say tea or coffee."]
    slot: drink
    type: choice
    choices:
      tea: [tea, a cup of tea]
      coffee: [coffee, espresso]
    transitions:
      - {when: {slot_equals: tea}, to: tea_note}
      - {when: always, to: bye}
      - {when: retries_exhausted, to: bye}
  tea_note:
    kind: say
    text: "One {{ slots.drink }} coming up."
    next: bye
  bye:
    kind: end
    text: Goodbye!
"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def load_text(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_demo_flow_loads() -> None:
    flow = load_flow_by_id(FLOWS_DIR, "demo_bakery")
    assert flow.id == "demo_bakery"
    assert isinstance(flow.nodes[flow.start], SayNode)
    topic = flow.nodes["topic"]
    assert isinstance(topic, AskNode)
    assert topic.type is AskType.CHOICE
    assert topic.answers() == ("hours", "specials", "order")
    anything_else = flow.nodes["anything_else"]
    assert isinstance(anything_else, AskNode)
    assert [t.when for t in anything_else.transitions][:2] == [Keyword.YES, Keyword.NO]
    assert flow.globals.goodbye is not None
    assert isinstance(flow.nodes[flow.globals.goodbye.to], EndNode)
    assert isinstance(flow.nodes["goodbye_no_input"], EndNode)


def test_the_mini_flow_loads_with_its_defaults(tmp_path: Path) -> None:
    flow = load_flow(load_text(tmp_path, MINI))
    pick = flow.nodes["pick"]
    assert isinstance(pick, AskNode)
    assert (pick.max_retries, pick.max_no_input, pick.no_input_timeout) == (2, 1, 8.0)
    assert pick.transitions[0].when == OwnSlotEquals(slot_equals="tea")
    assert flow.declared_slots() == frozenset({"drink"})
    assert flow.globals.repeat is not None and "say that again" in flow.globals.repeat.examples


# (name, replace this, with this, the line to expect contains, message fragment)
BROKEN = [
    ("unknown field", "    next: pick", "    nxt: pick", "nxt: pick", "did you mean 'next'"),
    ("unknown kind", "    kind: end", "    kind: fin", "  bye:", "unknown kind 'fin'"),
    ("dangling target", "always, to: bye}", "always, to: by}", "to: by}", "did you mean 'bye'"),
    ("dangling next", "    next: bye", "    next: nowhere", "next: nowhere", "unknown node"),
    ("missing start", "start: hello\n", "", "version: 1", "start: required field is missing"),
    ("unknown start", "start: hello", "start: hi", "start: hi", "unknown node 'hi'"),
    ("undefined variable", "coming up", "{{ drnik }} up", "{{ drnik }}", "'drnik'"),
    ("undefined tenant field", "tenant.name", "tenant.nmae", "tenant.nmae", "'tenant.nmae'"),
    ("undeclared slot", "slots.drink", "slots.food", "slots.food", "'slots.food'"),
    ("template syntax", "{{ tenant.name }}", "{{ tenant.name }", "tenant.name }", "syntax"),
    ("yaml syntax", "    slot: drink", "    slot: drink: x", "drink: x", "invalid YAML"),
    ("unknown type", "type: choice", "type: numbr", "type: numbr", "unknown value 'numbr'"),
    ("duplicate node", "  tea_note:", "  pick:  # again", "# again", "duplicate key 'pick'"),
    ("bad condition", "when: always", "when: allways", "allways", "unknown value 'allways'"),
    ("yes on a choice", "when: {slot_equals: tea}", "when: yes", "when: yes", "only applies to"),
    ("unknown answer", "slot_equals: tea}", "slot_equals: tee}", "tee}", "'tee' is not an answer"),
    ("say loop", "    next: bye", "    next: tea_note", "next: tea_note", "loop"),
    ("goodbye not end", "    to: bye", "    to: pick", "to: pick", "end node"),
    ("yes/no choices", "type: choice", "type: yes_no", "  pick:", "'choices' only applies"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_flow_names_file_and_line(
    tmp_path: Path, old: str, new: str, where: str, fragment: str
) -> None:
    assert old in MINI
    text = MINI.replace(old, new, 1)
    path = load_text(tmp_path, text)
    line = line_of(text, where)
    with pytest.raises(FlowLoadError) as caught:
        load_flow(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line, str(caught.value)
    first_problem = str(caught.value).splitlines()[0]
    assert first_problem.startswith(f"{path}:{line}: ")
    assert fragment in first_problem


def test_an_ask_without_retries_exhausted_is_refused(tmp_path: Path) -> None:
    text = MINI.replace("      - {when: retries_exhausted, to: bye}\n", "")
    with pytest.raises(FlowLoadError, match="needs a 'retries_exhausted' transition") as caught:
        load_flow(load_text(tmp_path, text))
    assert caught.value.line == line_of(text, "transitions:")


def test_an_answer_without_a_transition_is_refused(tmp_path: Path) -> None:
    text = MINI.replace("      - {when: always, to: bye}\n", "")
    with pytest.raises(FlowLoadError, match="no transition for the answer 'coffee'"):
        load_flow(load_text(tmp_path, text))


def test_a_phrase_under_two_choices_is_refused(tmp_path: Path) -> None:
    text = MINI.replace("[coffee, espresso]", "[coffee, espresso, a cup of tea]")
    with pytest.raises(FlowLoadError, match="also under 'tea'") as caught:
        load_flow(load_text(tmp_path, text))
    assert caught.value.line == line_of(text, "espresso")


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    text = MINI.replace("    next: pick", "    nxt: pick").replace("type: choice", "type: numbr")
    with pytest.raises(FlowLoadError) as caught:
        load_flow(load_text(tmp_path, text))
    message = str(caught.value)
    assert "unknown field" in message
    assert f":{line_of(text, 'type: numbr')}: nodes.pick.type: unknown value 'numbr'" in message


def test_an_unclosed_bracket_names_where_it_was_opened(tmp_path: Path) -> None:
    text = MINI.replace("    slot: drink", "    slot: [drink")
    with pytest.raises(FlowLoadError, match="invalid YAML") as caught:
        load_flow(load_text(tmp_path, text))
    assert f"(line {line_of(text, 'slot: [drink')})" in str(caught.value)
    assert caught.value.line == line_of(text, "slot: [drink") + 1  # where the parser stopped


def test_a_template_error_in_a_block_scalar_names_its_own_line(tmp_path: Path) -> None:
    block = "    text: |\n      Thanks for calling.\n      {{ nope }} again soon.\n"
    text = MINI.replace("    text: Goodbye!\n", block)
    with pytest.raises(FlowLoadError, match="'nope'") as caught:
        load_flow(load_text(tmp_path, text))
    assert caught.value.line == line_of(text, "{{ nope }}")


def test_yes_and_no_stay_words_not_booleans() -> None:
    text = MINI.replace("      tea: [tea, a cup of tea]", "      yes: [tea, a cup of tea]")
    flow = parse_flow(text.replace("{slot_equals: tea}", "{slot_equals: 'yes'}"))
    pick = flow.nodes["pick"]
    assert isinstance(pick, AskNode)
    assert pick.answers() == ("yes", "coffee")


def test_a_condition_on_another_slot_must_name_a_declared_slot() -> None:
    text = MINI.replace("{slot_equals: tea}", "{slot: drink, equals: tea}")
    pick = parse_flow(text).nodes["pick"]
    assert isinstance(pick, AskNode)
    assert pick.transitions[0].when == SlotEquals(slot="drink", equals="tea")
    with pytest.raises(FlowLoadError, match="slot 'food' is not filled by any ask node"):
        parse_flow(MINI.replace("{slot_equals: tea}", "{slot: food, equals: tea}"))


def test_a_missing_file_names_the_path_and_the_flows_dir(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError) as caught:
        load_flow_by_id(tmp_path, "nope")
    assert caught.value.path == str(tmp_path / "nope.yaml")
    assert f"flows dir: {tmp_path}" in str(caught.value)


def test_a_flow_id_is_never_a_path(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError, match=r"invalid flow id '\.\./secrets'"):
        load_flow_by_id(tmp_path, "../secrets")


def test_the_file_id_must_match_the_requested_id(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(MINI, encoding="utf-8")
    with pytest.raises(FlowLoadError, match="declares id 'mini'") as caught:
        load_flow_by_id(tmp_path, "other")
    assert caught.value.line == line_of(MINI, "id: mini")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FlowLoadError, match="a flow file is a mapping") as caught:
        load_flow(load_text(tmp_path, "# nothing here\n"))
    assert caught.value.line == 1


def test_the_json_schema_describes_the_file_format() -> None:
    schema = flow_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["version", "id", "start", "nodes"]
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    assert defs["Keyword"]["enum"] == ["always", "yes", "no", "retries_exhausted", "no_input"]
    assert defs["AskNode"]["properties"]["type"] == {"$ref": "#/$defs/AskType"}
    assert defs["AskType"]["enum"] == [t.value for t in AskType]
    assert defs["ExpressionCondition"]["required"] == ["if"]
    assert defs["AskNode"]["additionalProperties"] is False


def test_a_template_context_refuses_an_unknown_timezone() -> None:
    with pytest.raises(TenantError, match="unknown timezone 'Mars/Olympus'"):
        TemplateContext(TenantInfo(name="Crumb & Co", timezone="Mars/Olympus"))
