"""The prose of the book's chapters, as the rules about sentences see it.

``prose`` drops what is code (code cells, included code, code fences) and
keeps directives that hold prose (exercises, admonitions); ``sentences``
splits that prose into sentences; ``math_symbols`` lists the symbols of its
math. Used by ``test_notation.py`` and ``test_book_rules.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1] / "book"

#: A line that opens a fenced block: its fence, and a directive name or a language.
OPEN = re.compile(r"^(`{3,}|~{3,}|:{3,})\s*(?:\{([a-z-]+)\}|[a-zA-Z0-9]*)")
CODE_DIRECTIVES = {"code-cell", "literalinclude", "code-block", "code"}
MATH = re.compile(r"\$\$(.*?)\$\$|(?<![\\$])\$([^$\n]+?)\$", re.S)
#: Inside these commands letters are words, not symbols.
WORDS = re.compile(r"\\(?:text|operatorname|mathrm|label|tag|begin|end)\{[^}]*\}")
SYMBOL = re.compile(r"\\[a-zA-Z]+|(?<![a-zA-Z\\])[a-zA-Z](?![a-zA-Z])")


def chapters() -> list[Path]:
    return sorted(BOOK.glob("*.md"))


def prose(text: str) -> str:
    """``text`` without its code: code cells, included code and code fences."""
    kept: list[str] = []
    stack: list[tuple[str, bool]] = []       # (fence, is code) of open blocks
    for line in text.splitlines():
        stripped = line.strip()
        in_code = any(code for _, code in stack)
        if stack and stripped == stack[-1][0]:
            stack.pop()
            continue
        opened = OPEN.match(stripped)
        if opened and not in_code:
            directive = opened.group(2)
            stack.append((opened.group(1),
                          directive in CODE_DIRECTIVES if directive else True))
            continue
        if not in_code:
            kept.append(line)
    return "\n".join(kept)


def sentences(text: str) -> Iterator[str]:
    """The sentences of the prose of ``text``, each on one line."""
    for paragraph in re.split(r"\n\s*\n", prose(text)):
        for sentence in re.split(r"(?<=[.!?:;])\s+", paragraph):
            if sentence.strip():
                yield " ".join(sentence.split())


def math_symbols(text: str) -> set[str]:
    """Every letter and LaTeX command used as a symbol in the math of ``text``."""
    found: set[str] = set()
    for match in MATH.finditer(prose(text)):
        found |= set(SYMBOL.findall(WORDS.sub(" ", match.group(0).strip("$"))))
    return found
