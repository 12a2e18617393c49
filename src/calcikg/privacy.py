"""No patient names: the words of a text checked against salted hashes of the names the reports print.

The curated reports give their patients' first names; the project never stores them, not even in
its own checks. ``kg/privacy/patient-name-hashes.txt`` keeps a salted SHA-256 prefix of each name,
and every word of the graph (``calcikg validate``), of a record (``validate --record``) or of a
tracked file (the tests) is hashed the same way and compared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from calcikg import paths

SALT = "calcikg-privacy-v1:"
_WORD = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=1 << 16)  # a corpus repeats its words: each is hashed once per process
def word_hash(word: str) -> str:
    """The salted hash prefix of one word, case-insensitive."""
    return hashlib.sha256((SALT + word.lower()).encode("utf-8")).hexdigest()[:20]


@lru_cache(maxsize=4)
def _hashes(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def name_hashes(path: Path | None = None) -> frozenset[str]:
    """The hashes of the names to refuse (empty when the list is missing)."""
    path = path or paths.NAME_HASHES
    return _hashes(path) if path.exists() else frozenset()


def names_in(text: str, hashes: Iterable[str] | None = None) -> list[str]:
    """The words of ``text`` that are a patient's name (to show where, never to store)."""
    hashes = name_hashes() if hashes is None else hashes
    return [w for w in _WORD.findall(text) if word_hash(w) in hashes]


def main(argv: list[str] | None = None) -> int:
    """``calcikg privacy-hash NAME...``: the lines to add to the hash list for new names."""
    for name in argv or []:
        print(word_hash(name))
    return 0
