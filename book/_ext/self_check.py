"""Self-checks: a question whose answer the chapter's own code computed.

A self-check is a line or two of MyST. Its answer is a glue key of the page,
so the number the page judges against is the one the build just computed::

    ```{self-check} What is $x \\cdot w$ for the tiny case above?
    :answer: la_check_dot
    :tolerance: 0.01
    ```

Written as an admonition with the class ``self-check`` (the form the
chapters use), the same lines are a plain note with the question in Jupyter
Lab, which knows no ``{self-check}`` and would show an "Unknown Directive"
box instead::

    ```{admonition} What is $x \\cdot w$ for the tiny case above?
    :class: self-check
    :answer: la_check_dot
    ```

``:tolerance:`` is absolute (``0.01``) or relative (``1%``); without it an
answer is right when it agrees with every digit the glued value shows (half a
unit of its last digit). ``:choices: A | B | C`` makes it a choice, and the
glued value must be one of the choices.

The page gets plain HTML and a small static script (``_static/self-check/``):
no server, works offline. The contract the site tests rely on: the element
with ``data-self-check`` holds an ``<input>``; Enter or its Check button sets
``data-result`` to ``right`` or ``wrong`` and shows feedback; the button with
``data-self-check-reveal`` puts the answer, as a reader would type it, into
the element with ``data-self-check-answer``.

A self-check whose key the page does not glue stops the build: a question
without its answer must not reach a reader.
"""

from __future__ import annotations

import html
import math
import re
from ast import literal_eval
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.parsers.rst.directives.admonitions import Admonition
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective
from sphinx.util.fileutil import copy_asset

STATIC = Path(__file__).parent.parent / "_static" / "self-check"

# A number as the glued text shows it: "98.3%", "60,000", "1.2e-07", "-0.25".
NUMBER = re.compile(r"^\s*([-+\u2212]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?)\s*(%?)\s*\S*\s*$")


@dataclass(frozen=True)
class Answer:
    """What the page judges against: the text to type and how to compare it."""

    text: str
    kind: str                      # "number", "choice" or "text"
    value: float | None = None
    tolerance: float | None = None
    relative: bool = False
    percent: bool = False

    def stated_tolerance(self) -> str:
        if self.kind != "number":
            return ""
        if self.relative:
            return f"within {_plain(self.tolerance * 100)}% of the answer"
        unit = " percentage points" if self.percent else ""
        return f"within \u00b1{_plain(self.tolerance)}{unit}"


def _plain(x: float) -> str:
    return f"{x:.6g}"


def parse_number(text: str) -> tuple[float, bool, int] | None:
    """``(value, is_percent, decimals shown)`` of a glued number, else None."""
    match = NUMBER.match(text)
    if match is None:
        return None
    digits, percent = match.group(1), match.group(2) == "%"
    digits = digits.replace(",", "").replace("\u2212", "-")
    mantissa, _, exponent = digits.lower().partition("e")
    decimals = len(mantissa.partition(".")[2]) - int(exponent or 0)
    try:
        return float(digits), percent, decimals
    except ValueError:
        return None


def parse_tolerance(spec: str) -> tuple[float, bool]:
    """``"0.01"`` -> ``(0.01, False)``; ``"1%"`` -> ``(0.01, True)``."""
    spec = spec.strip()
    relative = spec.endswith("%")
    try:
        value = float(spec.rstrip("%"))
    except ValueError:
        raise ValueError(f"tolerance {spec!r} is neither a number (absolute) "
                         "nor a percentage (relative), e.g. 0.01 or 1%") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"tolerance {spec!r} must be a finite number >= 0")
    return (value / 100, True) if relative else (value, False)


def make_answer(text: str, tolerance: str | None,
                choices: list[str] | None) -> Answer:
    """Decide how the glued ``text`` is judged; ValueError says what is wrong."""
    if choices is not None:
        if text not in choices:
            raise ValueError(f"the glued answer {text!r} is not one of the "
                             f"choices {' | '.join(choices)}")
        return Answer(text=text, kind="choice")
    number = parse_number(text)
    if number is None:
        if tolerance is not None:
            raise ValueError(f"a tolerance is given, but the glued answer "
                             f"{text!r} is not a number")
        return Answer(text=text, kind="text")
    value, percent, decimals = number
    if tolerance is None:
        tol, relative = 0.5 * 10.0 ** -max(decimals, 0), False
    else:
        tol, relative = parse_tolerance(tolerance)
    return Answer(text=text, kind="number", value=value, tolerance=tol,
                  relative=relative, percent=percent)


def glued_text(document: nodes.document, key: str) -> str:
    """The text/plain value glued under ``key`` in this document."""
    from myst_nb.core.variables import RetrievalError
    from myst_nb.ext.glue.utils import retrieve_glue_data

    try:
        data = retrieve_glue_data(document, key).data
    except RetrievalError:
        raise KeyError(key) from None
    if "text/plain" not in data:
        raise KeyError(key)
    plain = data["text/plain"]
    try:                       # a glued str shows as its repr: "'98.3%'"
        value = literal_eval(plain)
    except (SyntaxError, ValueError):
        value = plain
    return str(value).strip()


class self_check(nodes.General, nodes.Element):
    """A question with an answer box; rendered by the HTML visitors below."""


def _choices(argument: str) -> list[str]:
    choices = [c.strip() for c in argument.split("|") if c.strip()]
    if len(choices) < 2:
        raise ValueError("give at least two choices, separated by |")
    return choices


class SelfCheck(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {
        "answer": directives.unchanged_required,
        "tolerance": directives.unchanged_required,
        "choices": _choices,
    }

    def run(self) -> list[nodes.Node]:
        where = self.get_location()
        key = self.options.get("answer")
        if not key:
            raise ExtensionError(f"{where}: a self-check needs :answer: <glue key>")
        try:
            text = glued_text(self.state.document, key)
        except KeyError:
            raise ExtensionError(
                f"{where}: self-check answer {key!r} is not a glue key of this "
                f"page: glue it in a code cell above the self-check, e.g. "
                f"glue({key!r}, value)") from None
        try:
            answer = make_answer(text, self.options.get("tolerance"),
                                 self.options.get("choices"))
        except ValueError as exc:
            raise ExtensionError(f"{where}: self-check {key!r}: {exc}") from None

        uid = f"self-check-{nodes.make_id(key)}-{self.env.new_serialno('self-check')}"
        node = self_check(answer=asdict(answer), uid=uid,
                          choices=self.options.get("choices") or [])
        self.set_source_info(node)
        question = nodes.paragraph(classes=["self-check-question"], ids=[f"{uid}-q"])
        inline, messages = self.state.inline_text(self.arguments[0], self.lineno)
        question.extend(inline)
        node += question
        return [node, *messages]


class AdmonitionOrSelfCheck(SelfCheck, Admonition):
    """``{admonition}`` as docutils has it, unless its class is ``self-check``."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {**Admonition.option_spec,
                                             **SelfCheck.option_spec}

    def run(self) -> list[nodes.Node]:
        if "self-check" in self.options.get("class", []):
            if self.content:
                raise ExtensionError(f"{self.get_location()}: a self-check has "
                                     "no body: the question is its title")
            return SelfCheck.run(self)
        extra = sorted(set(self.options) & set(SelfCheck.option_spec))
        if extra:
            raise ExtensionError(f"{self.get_location()}: {', '.join(extra)} "
                                 "belong to a self-check: add :class: self-check")
        return Admonition.run(self)


def _attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


def visit_html(self: Any, node: self_check) -> None:
    answer = Answer(**node["answer"])
    uid = node["uid"]
    data = {"data-self-check": "", "data-kind": answer.kind,
            "data-answer": answer.text, "id": uid}
    if answer.kind == "number":
        data.update({"data-value": repr(answer.value),
                     "data-tolerance": repr(answer.tolerance),
                     "data-relative": str(answer.relative).lower()})
    attrs = " ".join(f'{k}="{_attr(v)}"' for k, v in data.items())
    self.body.append(f'<form class="self-check" {attrs} novalidate>'
                     '<p class="self-check-title">Check yourself</p>')


def depart_html(self: Any, node: self_check) -> None:
    answer = Answer(**node["answer"])
    uid = node["uid"]
    out = []
    if answer.kind == "choice":
        out.append(f'<fieldset class="self-check-choices" aria-describedby="{uid}-q">'
                   '<legend class="self-check-sr">Your answer</legend>')
        for i, choice in enumerate(node["choices"]):
            out.append(f'<label><input type="radio" name="{uid}-choice" '
                       f'value="{_attr(choice)}" id="{uid}-c{i}"> '
                       f'{html.escape(choice)}</label>')
        out.append("</fieldset>")
    else:
        mode = "decimal" if answer.kind == "number" else "text"
        out.append(f'<label class="self-check-label" for="{uid}-input">Your answer'
                   '</label>'
                   f'<input id="{uid}-input" class="self-check-input" type="text" '
                   f'inputmode="{mode}" autocomplete="off" spellcheck="false" '
                   f'aria-describedby="{uid}-q">')
    out.append('<span class="self-check-buttons">'
               '<button type="submit" class="self-check-submit">Check</button>'
               '<button type="button" class="self-check-reveal" '
               'data-self-check-reveal aria-expanded="false" '
               f'aria-controls="{uid}-answer">Show answer</button></span>')
    stated = answer.stated_tolerance()
    if stated:
        out.append(f'<p class="self-check-tolerance">Numbers {stated} count '
                   'as right.</p>')
    out.append('<p class="self-check-feedback" role="status" aria-live="polite">'
               '</p>'
               f'<p class="self-check-reveal-text" id="{uid}-answer" hidden>Answer: '
               '<span data-self-check-answer></span></p></form>')
    self.body.append("".join(out))


def visit_other(self: Any, node: self_check) -> None:
    """Other builders show the question alone."""


def depart_other(self: Any, node: self_check) -> None:
    pass


def _copy_static(app: Sphinx, exception: Exception | None) -> None:
    """Ship the script and style with every HTML build, wherever it is."""
    if exception is None and app.builder.format == "html":
        copy_asset(str(STATIC), str(Path(app.outdir) / "_static" / "self-check"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(self_check, html=(visit_html, depart_html),
                 latex=(visit_other, depart_other), text=(visit_other, depart_other),
                 man=(visit_other, depart_other), texinfo=(visit_other, depart_other))
    app.add_directive("self-check", SelfCheck)
    app.add_directive("admonition", AdmonitionOrSelfCheck, override=True)
    app.connect("build-finished", _copy_static)
    app.add_css_file("self-check/self-check.css")
    app.add_js_file("self-check/self-check.js", defer="defer")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
