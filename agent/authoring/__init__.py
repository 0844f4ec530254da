"""The flow author's tools, apart from the engine they drive (:mod:`agent.flow`).

- :mod:`.check`: graph checks of a loaded flow (what loading cannot see node by node);
- :mod:`.scenario` and :mod:`.expect`: scripted text-mode calls, checked turn by turn;
- :mod:`.coverage`: which nodes and edges of a flow some runs reached;
- :mod:`.render`: a flow drawn as Mermaid, DOT or SVG;
- :mod:`.cli`: the ``frontdesk flow`` commands (check, test, chat, render, schema).

These modules import the engine, tenants and knowledge; nothing in the engine imports
them (an import-linter contract in ``pyproject.toml`` keeps it so).
"""
