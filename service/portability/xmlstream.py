"""Hardened, streaming XML parsing for the import readers.

defusedxml refuses DTDs (and with them entity-expansion bombs and external entities) before
any entity is expanded; expat refuses malformed and truncated documents. Both become one
`ImportRefused` with a message a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import iterparse

from service.portability.records import ImportRefused


def events(path: Path, kind: str) -> Iterator[tuple[str, Element]]:
    """(event, element) pairs for "start" and "end" of every element of the file."""
    stream: Any = iterparse(str(path), events=("start", "end"), forbid_dtd=True)
    try:
        yield from stream
    except (DTDForbidden, EntitiesForbidden):
        raise ImportRefused(
            f"{path.name} declares a DTD or entities, which a {kind} export never does "
            "(entity expansion and external entities are refused); nothing was imported."
        ) from None
    except DefusedXmlException as error:
        raise ImportRefused(f"{path.name} was refused ({error}); nothing was imported.") from None
    except ParseError as error:
        raise ImportRefused(
            f"{path.name} is not well-formed XML ({error}); it may be truncated. "
            "Nothing was imported."
        ) from None


def elements_at(path: Path, kind: str, root_tag: str, depth: int) -> Iterator[Element]:
    """Each element `depth` levels below a `root_tag` root (1: the root's children), once
    parsed, then dropped, so memory stays flat however long the file."""
    stream = events(path, kind)
    _, root = next(stream)
    if root.tag != root_tag:
        raise ImportRefused(
            f"{path.name} is not a {kind} export (no <{local_name(root_tag)}> root)."
        )
    open_elements = [root]
    for event, element in stream:
        if event == "start":
            open_elements.append(element)
            continue
        open_elements.pop()
        if len(open_elements) == depth:
            yield element
            element.clear()
            open_elements[-1].remove(element)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def text_of(element: Element, path: str) -> str:
    return (element.findtext(path) or "").strip()
