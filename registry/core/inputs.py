"""The guarded reader: every input file (seed YAML, import YAML, import CSV) is read through here.

What a file must be before anything parses its content:

* no larger than the input limit (`input_limit_bytes`, 64 MiB unless
  $REGISTRY_INPUT_LIMIT_MB says otherwise), read without reading more;
* UTF-8, with or without a byte order mark; anything else is refused with the
  file's name (and the line and byte of the first bad one, or UTF-16 when it is that);
* free of control characters other than tab, line feed and carriage return
  (YAML files; CSV cells are checked field by field by the seed schema, so the
  message can name the row and column).

YAML is read with a YAML 1.2 core-schema loader built on PyYAML (its C
scanner and parser where libyaml is installed), which:

* resolves plain scalars as YAML 1.2 does: only true/false are booleans
  (`NO`, `no`, `on`, `y` stay strings), no dates, no sexagesimal or 1.1 octal
  numbers, no merge keys;
* builds only strings, numbers, booleans, null, lists and mappings (no
  explicit tags such as !!binary, !!set, !!timestamp or !!python/...);
* refuses a mapping that gives a key twice (the second would silently win);
* bounds nesting depth, the number of aliases and the number of nodes the
  aliases expand to, and refuses an alias to an unfinished node (a cycle), so
  a small file cannot expand into millions of records.

CSV is parsed by the csv module over a file object (never split on
`str.splitlines`, which also breaks at U+2028, U+0085 and form feeds that may
sit inside a quoted cell).
"""

from __future__ import annotations

import io
import math
import os
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import BaseConstructor, ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from registry.core.errors import RegistryError

#: Environment variable that sets the largest input file, in MiB.
INPUT_LIMIT_ENV = "REGISTRY_INPUT_LIMIT_MB"
DEFAULT_INPUT_LIMIT_MB = 64
#: Deepest nesting of lists and mappings a YAML file may have (a seed document needs about 12).
YAML_MAX_DEPTH = 64
#: Most aliases (*name) one YAML file may use.
YAML_MAX_ALIASES = 1000
#: Most nodes all the aliases of one file may expand to together.
YAML_MAX_ALIAS_NODES = 10_000

_BOM = "\ufeff"
#: C0 controls other than tab, line feed and carriage return, and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "form feed", 0x1B: "ESC", 0x7F: "DEL"}


class InputError(RegistryError):
    """An input file that cannot be read as what it should be."""


def input_limit_bytes() -> int:
    raw = os.environ.get(INPUT_LIMIT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_INPUT_LIMIT_MB * 1024 * 1024
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    if not math.isfinite(mb) or mb <= 0:
        raise RegistryError(f"${INPUT_LIMIT_ENV} must be a positive number of MiB, got {raw!r}")
    return int(mb * 1024 * 1024)


def describe_control(ch: str) -> str:
    """U+0000 (NUL)."""
    name = _CONTROL_NAMES.get(ord(ch))
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def read_text(path: Path, what: str) -> str:
    """The file's text: size-limited, UTF-8 (a leading byte order mark dropped). `what` names the expected
    content in the message for an empty file."""
    limit = input_limit_bytes()
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > limit:
        raise InputError(f"{path}: larger than the input limit of {_size(limit)}; split it into smaller files "
                         f"(or raise ${INPUT_LIMIT_ENV})")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: UTF-16 (byte order mark {raw[:2].hex(' ').upper()}), not UTF-8; save the file as UTF-8")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line}: not UTF-8 (byte 0x{raw[exc.start]:02X} at offset {exc.start}); save the file as UTF-8"
            " (in Excel: 'CSV UTF-8')"
        ) from None
    text = text.removeprefix(_BOM)
    if not text.strip():
        raise InputError(f"{path}: file is empty (expected {what})")
    return text


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


# -- YAML -------------------------------------------------------------------------------


class _Refused(yaml.MarkedYAMLError):
    """A guard of the loader refused the file at a place in it."""


#: The YAML 1.2 core schema's implicit types: (tag, pattern, first characters).
YAML12_IMPLICIT = (
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    ("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
     list("-+.0123456789")),
)


def add_yaml12_resolvers(cls: type) -> None:
    """Teach a PyYAML Dumper class the YAML 1.2 types too, so that it quotes a string this reader would
    otherwise take for a number (1e3, 0o17); it already quotes what YAML 1.1 reads as non-strings."""
    for tag, pattern, first in YAML12_IMPLICIT:
        cls.add_implicit_resolver(tag, pattern, first)


class _Resolver(BaseResolver):
    """The YAML 1.2 core schema's implicit types."""


for _tag, _pattern, _first in YAML12_IMPLICIT:
    _Resolver.add_implicit_resolver(_tag, _pattern, _first)


class _GuardedComposer(Composer):
    """PyYAML's composer with bounds on depth and aliases."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._aliases = 0
        self._alias_nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > YAML_MAX_ALIASES:
                raise _Refused(None, None, f"more than {YAML_MAX_ALIASES:,} aliases (*name) in one file", event.start_mark)
            node = self.anchors.get(event.anchor)
            if node is not None and not hasattr(node, "size"):
                raise _Refused(None, None, f"alias *{event.anchor} refers to a list or mapping that contains it",
                               event.start_mark)
            if node is not None:
                self._alias_nodes += node.size
                if self._alias_nodes > YAML_MAX_ALIAS_NODES:
                    raise _Refused(None, None, f"the aliases expand to more than {YAML_MAX_ALIAS_NODES:,} values",
                                   event.start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > YAML_MAX_DEPTH:
            raise _Refused(None, None, f"nested more than {YAML_MAX_DEPTH} levels deep", self.peek_event().start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, ScalarNode):
            node.size = 1
        elif isinstance(node, SequenceNode):
            node.size = 1 + sum(c.size for c in node.value)
        else:
            node.size = 1 + sum(k.size + v.size for k, v in node.value)
        return node


class _Constructor(BaseConstructor):
    """Plain data only; a key given twice in one mapping is refused."""

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        mapping: dict[Any, Any] = {}
        first: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise ConstructorError(None, None, "a mapping key must be a plain value", key_node.start_mark)
            if key in first:
                raise _Refused(None, None, f"key {key!r} appears twice in the same mapping (first on line "
                                           f"{first[key].line + 1})", key_node.start_mark)
            first[key] = key_node.start_mark
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_map(self, node):
        data: dict[Any, Any] = {}
        yield data
        data.update(self.construct_mapping(node))

    def construct_yaml_seq(self, node):
        data: list[Any] = []
        yield data
        data.extend(self.construct_sequence(node))

    def construct_yaml_str(self, node):
        return self.construct_scalar(node)

    def construct_yaml_null(self, node):
        self.construct_scalar(node)
        return None

    def construct_yaml_bool(self, node):
        return self.construct_scalar(node).lower() == "true"

    def construct_yaml_int(self, node):
        value = self.construct_scalar(node)
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value, 10)

    def construct_yaml_float(self, node):
        value = self.construct_scalar(node).lower()
        if value.endswith(".inf"):
            return -math.inf if value.startswith("-") else math.inf
        if value == ".nan":
            return math.nan
        return float(value)

    def construct_undefined(self, node):
        raise ConstructorError(None, None, f"tag {node.tag!r} is not allowed (plain values, lists and mappings only)",
                               node.start_mark)


for _tag, _method in (("null", "construct_yaml_null"), ("bool", "construct_yaml_bool"), ("int", "construct_yaml_int"),
                      ("float", "construct_yaml_float"), ("str", "construct_yaml_str"), ("seq", "construct_yaml_seq"),
                      ("map", "construct_yaml_map")):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", getattr(_Constructor, _method))
_Constructor.add_constructor(None, _Constructor.construct_undefined)

try:  # libyaml's scanner and parser when installed (several times faster); the composer stays ours
    from yaml import CParser as _Parser

    class _Loader(_GuardedComposer, _Constructor, _Resolver, _Parser):
        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _GuardedComposer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)
except ImportError:  # pragma: no cover - pure Python fallback
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, _GuardedComposer, _Constructor, _Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            _GuardedComposer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)


def parse_yaml(text: str) -> Any:
    """One YAML document as plain data (raises yaml.YAMLError)."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """A YAML file through every guard, as plain data; InputError naming the file and line otherwise."""
    text = read_text(path, "a seed-format YAML document")
    bad = CONTROL_CHARACTERS.search(text)
    if bad:
        raise InputError(f"{path}: {_position(text, bad.start())}: control character {describe_control(bad.group())} "
                         "is not allowed in a YAML file")
    try:
        data = parse_yaml(text)
    except RecursionError:  # pragma: no cover - the depth bound comes first
        raise InputError(f"{path}: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark else ""
        problem = ", ".join(p for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p) or str(exc)
        prefix = "" if isinstance(exc, _Refused) else "not valid YAML: "
        raise InputError(f"{path}:{where} {prefix}{problem}") from None
    if data is None:
        raise InputError(f"{path}: file is empty (only comments; expected a seed-format YAML document)")
    return data


# -- CSV --------------------------------------------------------------------------------


def csv_file(text: str) -> io.StringIO:
    """A file object over decoded CSV text for csv.reader: newline='' leaves line ends to the csv module,
    so only a real line end (outside quotes) ends a row."""
    return io.StringIO(text, newline="")
