"""OncoTree, the cancer-type hierarchy cBioPortal uses, shipped as versioned reference data (``reference/``).

The tree file is cBioPortal's published TSV (``trees/tsv/oncotree_<version>.txt`` in the public ``cBioPortal/oncotree``
repository, licence CC BY 4.0; provenance in ``reference/README.md``), reduced to the columns used here: ``Code``,
``Name``, ``MainType``, ``Tissue``, ``Parent``. Values are stripped (the published file has a few parents with a
leading space).

- **Main type** of a code: the node's ``MainType``; a node without one (the ``TISSUE`` root) takes the nearest
  ancestor's. The main type is this source's cancer type and exact-matching stratum (so a gastrointestinal stromal
  tumour, code ``GIST``, is ``Gastrointestinal Stromal Tumor``, never pooled with other rare tumours).
- **Haematological**: a node is haematological when its tissue is ``Hematopoietic``, its main type is a
  haematological main type, or its name says lymphoma / leukaemia / myeloma (``TLYM`` Testicular Lymphoma sits under
  the testis); a main type is haematological when every node carrying it is ``Hematopoietic``, or its name says so.
- Look-ups are case-insensitive. A node *name* maps to a main type only when every node of that name shares it
  (``Mature Teratoma`` does; ``Choriocarcinoma`` does not: gestational vs germ cell).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VERSION = "oncotree_2026_05_21"
TREE_FILE = Path(__file__).parent / "reference" / f"{VERSION}.txt"
HAEMATOPOIETIC_TISSUE = "Hematopoietic"
_HAEM_TEXT = re.compile(
    r"leuka?emia|lymphoma|myeloma|myelodysplas|myeloprolif|lymphoid|myeloid|plasma cell|mastocytosis|blood cancer|"
    r"histiocyt|ha?ematopoietic|b-cell neoplasm|t and nk neoplasm"
)


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    main_type: str
    tissue: str
    parent: str


@dataclass(frozen=True)
class OncoTree:
    """The tree: nodes by upper-case code, plus the case-insensitive name and main-type indexes."""

    version: str
    nodes: Mapping[str, Node]
    main_types: Mapping[str, str]
    names: Mapping[str, str]
    haematological_main_types: frozenset[str]

    def node(self, code: str | None) -> Node | None:
        return self.nodes.get((code or "").strip().upper())

    def main_type_of(self, code: str | None) -> str | None:
        """The main type of a code (through its ancestors when the node has none), None for an unknown code."""
        node, seen = self.node(code), set()
        while node is not None and not node.main_type and node.code not in seen:
            seen.add(node.code)
            node = self.nodes.get(node.parent)
        return node.main_type if node is not None and node.main_type else None

    def main_type_named(self, text: str | None) -> str | None:
        """The tree's spelling of a main type given in any case, else None."""
        return self.main_types.get(_key(text))

    def main_type_of_name(self, text: str | None) -> str | None:
        """The main type of a node name (e.g. ``Breast Invasive Ductal Carcinoma``) when the name is unambiguous."""
        return self.names.get(_key(text))

    def is_haematological_code(self, code: str | None) -> bool:
        node = self.node(code)
        if node is None:
            return False
        main = self.main_type_of(code) or ""
        return (
            node.tissue == HAEMATOPOIETIC_TISSUE
            or main in self.haematological_main_types
            or _HAEM_TEXT.search(node.name.lower()) is not None
        )

    def is_haematological_main_type(self, main_type: str) -> bool:
        return main_type in self.haematological_main_types or _HAEM_TEXT.search(main_type.lower()) is not None

    def solid_main_types(self) -> frozenset[str]:
        """Every main type of the tree that is not haematological (the cancer types this source can deliver)."""
        return frozenset(m for m in self.main_types.values() if not self.is_haematological_main_type(m))


def _key(text: str | None) -> str:
    return " ".join((text or "").split()).lower()


def parse_tree(text: str, version: str) -> OncoTree:
    """A tree from the TSV text (header ``Code Name MainType Tissue Parent``; rows end at ``\\n``)."""
    lines = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
    header = [h.strip() for h in lines[0].split("\t")]
    index = {name: header.index(name) for name in ("Code", "Name", "MainType", "Tissue", "Parent")}
    nodes: dict[str, Node] = {}
    for line in lines[1:]:
        fields = [f.strip() for f in line.split("\t")]
        fields += [""] * (len(header) - len(fields))
        node = Node(*(fields[index[c]] for c in ("Code", "Name", "MainType", "Tissue", "Parent")))
        nodes[node.code.upper()] = node
    main_types = {_key(n.main_type): n.main_type for n in nodes.values() if n.main_type}
    by_main: dict[str, set[bool]] = {}
    by_name: dict[str, set[str]] = {}
    for n in nodes.values():
        if n.main_type:
            by_main.setdefault(n.main_type, set()).add(n.tissue == HAEMATOPOIETIC_TISSUE)
            by_name.setdefault(_key(n.name), set()).add(n.main_type)
    return OncoTree(
        version=version,
        nodes=nodes,
        main_types=main_types,
        names={name: next(iter(m)) for name, m in by_name.items() if len(m) == 1},
        haematological_main_types=frozenset(m for m, flags in by_main.items() if flags == {True}),
    )


@cache
def oncotree() -> OncoTree:
    """The shipped tree (read once)."""
    return parse_tree(TREE_FILE.read_text(encoding="utf-8"), VERSION)
