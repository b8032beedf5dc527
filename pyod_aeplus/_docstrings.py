"""Complete detector docstrings from the engine's shared text.

:class:`~pyod_aeplus.base.BaseAutoEncoder`'s docstring is the one place where
the parameters every detector takes (``contamination``, ``preprocessing``,
``loss``, ``epochs``, ...) and the attributes every fitted detector has
(``decision_scores_``, ``threshold_``, ``labels_``, ...) are described. A
detector's own docstring describes only what is its own; when the class is
created, :func:`complete_docstring` fills in the rest, so that ``help()``,
numpydoc and the API reference all show complete docstrings:

- **Parameters**: one entry for each ``__init__`` parameter, in the
  signature's order: the class's own entry where it has one, else the
  nearest base class's, else the engine's. When an entry taken from
  elsewhere states a default (``default=...``) other than the one in the
  class's signature, the class's default is put in and the entry says that
  it differs from the engine's.
- **Attributes**: the class's own entries, then those of its base classes
  (nearest first) and of the engine that it does not list.

The other sections stay as written. Docstrings are numpydoc-style: a
section is a title underlined with dashes; an entry starts at the section's
indentation (``name : type``, or ``a, b : type`` for several names) and its
description is indented below it.
"""

import ast
import inspect
import re

# Order of numpydoc's sections; a section the class lacks is inserted by it.
SECTION_ORDER = ("Parameters", "Returns", "Yields", "Receives", "Other Parameters", "Raises",
                 "Warns", "Warnings", "Attributes", "Methods", "See Also", "Notes", "References",
                 "Examples")
_DEFAULT = re.compile(r"default\s*=\s*(.+?)\s*$")


def split_sections(doc):
    """``(summary, [(title, lines), ...])`` of a dedented numpydoc docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    starts = [i for i in range(len(lines) - 1)
              if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())
              and len(lines[i + 1].strip()) == len(lines[i].strip())]
    summary = lines[:starts[0]] if starts else lines
    sections = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        sections.append((lines[start].strip(), _trim(lines[start + 2:end])))
    return _trim(summary), sections


def _trim(lines):
    lines = list(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def split_entries(lines):
    """``[(names, header, description lines), ...]`` of a Parameters-like section.

    ``names`` is the tuple of names the entry documents (``a, b : int`` gives
    ``('a', 'b')``); text before the first entry is dropped.
    """
    entries = []
    for line in lines:
        if line.strip() and not line[0].isspace():
            name_part = line.split(" : ", 1)[0] if " : " in line else line.rstrip(" :")
            names = tuple(n.strip().lstrip("*") for n in name_part.split(","))
            entries.append((names, line.rstrip(), []))
        elif entries:
            entries[-1][2].append(line.rstrip())
    return [(names, header, _trim(description)) for names, header, description in entries]


def documented_default(header):
    """The default an entry's ``name : type, default=...`` line states, or None if none."""
    type_part = header.split(" : ", 1)[1] if " : " in header else ""
    match = _DEFAULT.search(type_part)
    return match.group(1) if match else None


def same_default(text, value):
    """Whether the default written as ``text`` is ``value`` (Python literals compared)."""
    try:
        return ast.literal_eval(text) == value and type(ast.literal_eval(text)) is type(value)
    except (ValueError, SyntaxError):
        return text == repr(value)


def _entries_of(doc, title):
    _, sections = split_sections(doc)
    for name, lines in sections:
        if name == title:
            return split_entries(lines)
    return []


def _with_default(entry, value, source):
    """``entry`` stating ``value`` as its default, and whose default it differs from."""
    names, header, description = entry
    old = documented_default(header)
    header = header[:header.rindex(old)] + repr(value)
    whose = "the engine's" if source == "BaseAutoEncoder" else f":class:`{source}`'s"
    return names, header, [*description, f"    This default differs from {whose} ({old})."]


def _entry_lines(entries):
    lines = []
    for _, header, description in entries:
        lines.append(header)
        lines.extend(description)
    return lines


def complete_docstring(cls):
    """``cls``'s docstring with every ``__init__`` parameter and the engine's attributes.

    See the module's docstring for the rules. A class without a docstring
    keeps none.
    """
    if not cls.__doc__:
        return cls.__doc__
    summary, sections = split_sections(cls.__doc__)
    own = dict(sections)
    signature = inspect.signature(cls.__init__)
    parameters = [p for p in signature.parameters.values()
                  if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    # Where each name's entry may come from, nearest first.
    from .base import BaseAutoEncoder as engine

    own_entries = split_entries(own.get("Parameters", []))
    sources = [(None, own_entries)]
    sources += [(base.__name__, _entries_of(base.__doc__, "Parameters"))
                for base in cls.__mro__[1:-1] if issubclass(base, engine) and base is not engine]
    sources.append(("BaseAutoEncoder", _entries_of(engine.__doc__, "Parameters")))

    chosen, seen = [], set()
    for parameter in parameters:
        if parameter.name in seen:
            continue
        for source, entries in sources:
            entry = next((e for e in entries if parameter.name in e[0]), None)
            if entry is None:
                continue
            default = documented_default(entry[1])
            single = len(entry[0]) == 1
            if (source is not None and single and default is not None
                    and parameter.default is not parameter.empty
                    and not same_default(default, parameter.default)):
                entry = _with_default(entry, parameter.default, source)
            chosen.append(entry)
            seen.update(entry[0])
            break
    # Own entries for names outside the signature stay (the test reports them).
    chosen += [e for e in own_entries if not seen.intersection(e[0])]

    attributes = split_entries(own.get("Attributes", []))
    # The bases' docstrings (nearest first), the engine's last.
    bases = [b for b in cls.__mro__[1:] if issubclass(b, engine) and b is not engine]
    for base in [*bases, engine]:
        listed = {name for names, _, _ in attributes for name in names}
        attributes += [e for e in _entries_of(base.__doc__, "Attributes")
                       if not listed.intersection(e[0])]

    own["Parameters"] = _entry_lines(chosen)
    own["Attributes"] = _entry_lines(attributes)
    titles = [title for title in SECTION_ORDER if title in own]
    titles += [title for title, _ in sections if title not in titles]
    lines = list(summary)
    for title in titles:
        lines += ["", title, "-" * len(title), *own[title]]
    return "\n".join(lines) + "\n"
