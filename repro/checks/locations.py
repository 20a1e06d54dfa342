"""The line of a record field in its YAML or JSON text, for annotations that point at it.

``line_of(text, ("data", 1, "splits"))`` walks the composed YAML node tree (JSON is read by the
same composer) as far as the location exists and gives the 1-based line of the deepest node it
reached: the field itself, or the section that should hold a missing one.
"""

from __future__ import annotations

from collections.abc import Callable

from repro.checks.models import Loc


def line_finder(text: str) -> Callable[[Loc], int | None]:
    """A function location -> line for one file's text (parsed once); None when unparsable."""
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        root = None

    def find(loc: Loc) -> int | None:
        if root is None:
            return None
        node, line = root, 1
        for part in loc:
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == str(part):
                        nxt, line = value, key.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                nxt = node.value[part]
                line = nxt.start_mark.line + 1
                if isinstance(nxt, yaml.MappingNode) and nxt.value:  # JSON's "{" has no name
                    line = nxt.value[0][0].start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        return line

    return find
