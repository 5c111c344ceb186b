"""The documentation in docs/ stays true as the code moves.

For every page docs/*.md:

- every relative link resolves to a file in the repository, and its `#anchor` to a heading
  of the page it points at (GitHub's heading ids);
- every repository path cited in inline code exists: `security/listeners.py`,
  `tests/oauth/`, a glob such as `tests/e2e/test_staff_*_browser.py` (it must match), and a
  pytest node `tests/x.py::test_name` (the test function must be defined in that file);
- every `make <target>` cited in code exists in the Makefile;
- docs/README.md links every page, and security-model.md has a heading for each of the ten
  OWASP API Security Top 10 (2023) risks, API1 to API10.

The checkers take text, so `test_the_checkers_report_each_kind_of_broken_reference` feeds them
a page with one broken reference of each kind: each check can fail.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))

#: Paths that exist only at run time, never in the repository: the git-ignored working
#: directory of the demo (`var/`) and the operator's environment file.
RUNTIME_PREFIXES = ("var/",)
RUNTIME_PATHS = {"deploy/.env"}
#: A cited path ending in one of these is checked even if its first folder is not one of the
#: repository's (so a misspelt folder is caught, not skipped).
FILE_SUFFIXES = (".py", ".md", ".yaml", ".yml", ".conf", ".sql", ".cnf", ".toml", ".json",
                 ".html", ".css", ".txt", ".sh")
#: https://owasp.org/API-Security/editions/2023/en/0x11-t10/
OWASP_API_TOP_10_2023 = {
    1: "Broken Object Level Authorization",
    2: "Broken Authentication",
    3: "Broken Object Property Level Authorization",
    4: "Unrestricted Resource Consumption",
    5: "Broken Function Level Authorization",
    6: "Unrestricted Access to Sensitive Business Flows",
    7: "Server Side Request Forgery",
    8: "Security Misconfiguration",
    9: "Improper Inventory Management",
    10: "Unsafe Consumption of APIs",
}

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_MAKE = re.compile(r"(?:^|[\s;&|(])make((?:[ \t]+[^\s;&|)]+)+)")
_PATH_CHARS = re.compile(r"^[\w.*/\-:]+$")


# ---- reading a page -----------------------------------------------------------------------

def _prose(text: str) -> str:
    """The page without its fenced blocks (diagrams and shell sessions)."""
    return _FENCE.sub("", text)


def _code_spans(text: str) -> Iterator[str]:
    for match in _CODE_SPAN.finditer(_prose(text)):
        yield match.group(2).strip()


def _code_lines(text: str) -> Iterator[str]:
    """Inline code spans, and every line of every fenced block."""
    yield from _code_spans(text)
    for block in _FENCE.finditer(text):
        yield from block.group(0).splitlines()[1:-1]


def heading_ids(text: str) -> set[str]:
    """The ids GitHub gives the page's headings (lower case, punctuation dropped, spaces to
    hyphens, -1, -2... for repeats)."""
    ids: set[str] = set()
    seen: dict[str, int] = {}
    for match in _HEADING.finditer(_prose(text)):
        title = re.sub(r"`|\*\*|__", "", match.group(2)).strip().lower()
        slug = "".join(c for c in title if c in " -_" or unicodedata.category(c)[0] in "LN")
        slug = slug.replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def _repository_top_level() -> set[str]:
    return {entry.name for entry in REPO.iterdir()
            if entry.name not in {".git", ".venv", "var"} and not entry.name.endswith("_cache")}


def _is_repository_path(span: str, top_level: set[str]) -> bool:
    if "/" not in span or "://" in span or not _PATH_CHARS.match(span):
        return False
    if span.startswith(("/", "~", "-")):
        return False
    first = span.split("/", 1)[0]
    file_part = span.split("::", 1)[0]
    return first in top_level or file_part.endswith(FILE_SUFFIXES)


# ---- the checks ---------------------------------------------------------------------------

def broken_links(text: str, *, page: Path, repo: Path = REPO) -> list[str]:
    problems = []
    for match in _LINK.finditer(_prose(text)):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            problems.append(f"link to a missing file: {target}")
            continue
        if anchor and linked.suffix == ".md" and anchor not in heading_ids(linked.read_text()):
            problems.append(f"link to a missing heading: {target}")
    return problems


def missing_paths(text: str, *, repo: Path = REPO) -> list[str]:
    top_level = _repository_top_level() if repo == REPO else {
        entry.name for entry in repo.iterdir()}
    problems = []
    for span in _code_spans(text):
        if not _is_repository_path(span, top_level):
            continue
        file_part, _, test_name = span.partition("::")
        if file_part in RUNTIME_PATHS or file_part.startswith(RUNTIME_PREFIXES):
            continue
        if "*" in file_part:
            if not list(repo.glob(file_part)):
                problems.append(f"no file matches {span}")
            continue
        path = repo / file_part
        if not path.exists():
            problems.append(f"missing path: {span}")
        elif test_name and not re.search(rf"^\s*(async\s+)?def {re.escape(test_name)}\(",
                                         path.read_text(), re.MULTILINE):
            problems.append(f"no test {test_name} in {file_part}")
    return problems


def makefile_targets(makefile: str) -> set[str]:
    targets: set[str] = set()
    for line in makefile.splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*:(?!=)", line)
        if match:
            targets.update(name for name in match.group(1).split() if not name.startswith("."))
    return targets


def unknown_make_targets(text: str, *, targets: set[str]) -> list[str]:
    problems = []
    for line in _code_lines(text):
        for match in _MAKE.finditer(line):
            words = [word for word in match.group(1).split() if "=" not in word]
            if words and words[0] not in targets:
                problems.append(f"make {words[0]}: no such target in the Makefile")
    return problems


def missing_owasp_risks(text: str) -> list[str]:
    headings = [match.group(2) for match in _HEADING.finditer(_prose(text))]
    return [f"no heading for API{number}:2023 {title}"
            for number, title in OWASP_API_TOP_10_2023.items()
            if not any(f"API{number}:2023 {title}" in heading for heading in headings)]


# ---- the tests ----------------------------------------------------------------------------

def _page_id(page: Path) -> str:
    return page.name


def test_there_are_pages_to_check():
    names = {page.name for page in PAGES}
    assert {"README.md", "architecture.md", "security-model.md", "deployment.md",
            "audit-events.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_relative_link_resolves(page):
    assert broken_links(page.read_text(), page=page) == []


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_cited_path_exists(page):
    assert missing_paths(page.read_text()) == []


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_cited_make_target_exists(page):
    targets = makefile_targets((REPO / "Makefile").read_text())
    assert unknown_make_targets(page.read_text(), targets=targets) == []


def test_the_index_links_every_page():
    index = (DOCS / "README.md").read_text()
    linked = {match.group(1).partition("#")[0] for match in _LINK.finditer(index)}
    assert {page.name for page in PAGES if page.name != "README.md"} <= linked


def test_the_security_model_names_every_owasp_api_risk():
    assert missing_owasp_risks((DOCS / "security-model.md").read_text()) == []


def test_the_checkers_report_each_kind_of_broken_reference(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "security").mkdir()
    (tmp_path / "security" / "real.py").write_text("def test_here():\n    pass\n")
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## A real heading\n")
    page = tmp_path / "docs" / "page.md"
    text = "\n".join([
        "# Page",
        "See [other](other.md#a-real-heading) and `security/real.py::test_here`, `var/x`.",
        "Broken: [gone](gone.md), [bad anchor](other.md#no-such-heading),",
        "`security/missing.py`, `secuirty/typo.py`, `security/nothing_*.py`,",
        "`security/real.py::test_absent`, and `make no-such-target`.",
        "Not paths: `application/json`, `/health/live`, `amqp://host`, `BANK_*`.",
        "```sh",
        "make demo",
        "make also-missing VAR=1",
        "```",
        "## API1:2023 Broken Object Level Authorization",
    ])
    page.write_text(text)

    assert broken_links(text, page=page, repo=tmp_path) == [
        "link to a missing file: gone.md",
        "link to a missing heading: other.md#no-such-heading",
    ]
    assert missing_paths(text, repo=tmp_path) == [
        "missing path: security/missing.py",
        "missing path: secuirty/typo.py",
        "no file matches security/nothing_*.py",
        "no test test_absent in security/real.py",
    ]
    assert unknown_make_targets(text, targets={"demo", "test"}) == [
        "make no-such-target: no such target in the Makefile",
        "make also-missing: no such target in the Makefile",
    ]
    missing = missing_owasp_risks(text)
    assert len(missing) == 9
    assert "API1:2023" not in " ".join(missing)


def test_makefile_targets_are_read_like_make_reads_them():
    makefile = ".PHONY: demo test\nSTAMP := x\n$(STAMP): y\ndemo: $(STAMP)\n\t@echo\na b: c\n"
    assert makefile_targets(makefile) == {"demo", "a", "b"}


def test_heading_ids_follow_github():
    text = "# Not yet\n## The image (`deploy/Dockerfile`)\n## Not yet\n```\n# not a heading\n```\n"
    assert heading_ids(text) == {"not-yet", "the-image-deploydockerfile", "not-yet-1"}
