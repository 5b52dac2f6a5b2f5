"""The fast paths of loading (issue 17): documents without anchors built without the alias budget, top-level
positions noted while loading, and the confined read of a plain file. Each gives what the general path gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.spec import loading
from orchestrator.spec.confinement import Refused, read_bounded, read_confined
from orchestrator.spec.loading import LoadError, load_yaml_bytes

DOCUMENTS = [
    "name: tutor\nmodel: gpt-5.4\ntools: [code_interpreter, {type: file_search}]\ntemperature: 0.2\n",
    "name: tutor\nmetadata: {a/b: x, c~d: y, 'quoted: key': z}\nlist:\n  - 1\n  - [true, null, 2.5, '3']\n",
    "base: &b {model: gpt-5.4, tools: [x]}\nname: r&d\nother: *b\n",  # an anchor: the counted path
    "<<: {model: gpt-5.4}\nname: merged\n",  # a merge key without an anchor
    "2: two\nname: numbers\n3.5: x\n",  # keys that are not strings
    "name: plain\ndescription: |\n  several\n  lines\nwhen: 2026-11-01\n",
]


def whole_walk(text: str) -> loading.Document:
    document = load_yaml_bytes(text.encode(), Path("spec.yaml"), "spec.yaml")
    document.top_values = document.top_keys = None  # answer from the full walk only
    return document


@pytest.mark.parametrize("text", DOCUMENTS)
def test_data_and_every_top_level_position_match_the_general_path(text: str) -> None:
    fast = load_yaml_bytes(text.encode(), Path("spec.yaml"), "spec.yaml")
    walked = whole_walk(text)
    counted = loading._construct(*_composed(text), set(), loading._Budget())
    assert fast.data == walked.data == counted
    pointers = [
        "",
        "/missing",
        "/tools/9",
        "/metadata/none",
        "/list/1/0",
        "/list/1/0/x",
        "/base/tools/0",
        *(f"/{str(k).replace('~', '~0').replace('/', '~1')}" for k in fast.data),
        *(f"/{k}/{i}" for k, v in fast.data.items() if isinstance(v, list) for i in range(len(v))),
        *(
            f"/{k}/{str(i).replace('~', '~0').replace('/', '~1')}"
            for k, v in fast.data.items()
            if isinstance(v, dict)
            for i in v
        ),
    ]
    deep = [p for p in pointers if p.count("/") > 2]
    for pointer in [p for p in pointers if p not in deep]:
        for key in (False, True):
            assert fast.position(pointer, key=key) == walked.position(pointer, key=key), (pointer, key)
    if "2:" not in text:
        assert fast.known_values is None  # depth 0 to 2 needed no second parse
    for pointer in deep:
        for key in (False, True):
            assert fast.position(pointer, key=key) == walked.position(pointer, key=key), (pointer, key)


def _composed(text: str) -> tuple[object, object]:
    loader = loading._Loader(text)
    return loader, loader.get_single_node()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nname: b\n", "duplicate key `name` (first defined at line 1, column 1)"),
        ("a: {x: 1, y: 2, x: 3}\n", "duplicate key `x` (first defined at line 1, column 5)"),
        ("a: !!set {x}\n", "tag `!!set` is not allowed"),
        ("? [a]\n: b\n", "mapping keys must be plain scalars, not lists or mappings"),
        ("a: .nan\n", "is not a finite number"),
    ],
)
def test_refusals_are_the_same_without_anchors(text: str, message: str) -> None:
    with pytest.raises(LoadError) as caught:
        load_yaml_bytes(text.encode(), Path("spec.yaml"), "spec.yaml")
    assert message in caught.value.diagnostic.message


def test_the_confined_read_of_a_plain_file_is_the_general_read(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "specs").mkdir()
    spec = root / "specs" / "a.yaml"
    spec.write_bytes(b"name: a\n" * 100)
    assert read_confined(spec, root, limit=10_000, what="a spec") == read_bounded(
        spec, limit=10_000, what="x"
    )
    with pytest.raises(Refused, match="limit"):
        read_confined(spec, root, limit=100, what="a spec")


def test_a_folder_linked_from_outside_is_still_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("name: secret\n")
    root = (tmp_path / "project").resolve()
    root.mkdir()
    os.symlink(outside, root / "specs")
    (root / ".git").mkdir()
    (root / ".git" / "config.yaml").write_text("token: x\n")
    with pytest.raises(Refused, match="outside the project folder"):
        read_confined(root / "specs" / "secret.yaml", root, limit=10_000, what="a spec")
    with pytest.raises(Refused, match="which a project may not read"):
        read_confined(root / ".git" / "config.yaml", root, limit=10_000, what="a spec")


@pytest.mark.parametrize(
    "text",
    [
        "name: m\n<<: {model: x}\n",  # a merge key after other keys
        "model: y\n<<: {model: x}\n",  # a key the merge brings too: refused, naming the merged one first
        "a: 1\na: 2\n<<: {b: 3}\n",
        "<<: [{a: 1}, {b: 2}]\nc: 3\n",
    ],
)
def test_merge_keys_give_what_the_counted_path_gives(text: str) -> None:
    def outcome(build: object) -> object:
        try:
            return build()  # type: ignore[operator]
        except Exception as exc:
            return str(exc)

    plain = outcome(lambda: loading._construct_plain(*_composed(text)))
    counted = outcome(lambda: loading._construct(*_composed(text), set(), loading._Budget()))
    assert plain == counted
