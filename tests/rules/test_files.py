"""Which files of a rule folder take effect: every file that looks like a rule file (``.yaml`` or
``.yml`` in its name) is loaded or refused with ``path:line:col``; nothing present is silently left out."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from doseguard.errors import RulePackError
from doseguard.rules import files
from doseguard.rules.loader import bundled_rules_dir, load_rules
from tests.helpers.rule_files import VALID_RULE, write_pack

OTHER_RULE = VALID_RULE.replace("TEST-HIGH", "TEST-OTHER")


def problems(*folders: Path) -> list[str]:
    with pytest.raises(RulePackError) as caught:
        load_rules(list(folders))
    return [str(p) for p in caught.value.problems]


def test_a_dangling_symlink_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    (tmp_path / "pack" / "dose.yaml").symlink_to("nowhere.yaml")
    assert problems(tmp_path / "pack") == [
        f"{tmp_path / 'pack' / 'dose.yaml'}:1:1: a broken symbolic link (to 'nowhere.yaml'): not loaded"
    ]


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    (tmp_path / "pack" / "loop.yaml").symlink_to("loop.yaml")
    assert problems(tmp_path / "pack") == [
        f"{tmp_path / 'pack' / 'loop.yaml'}:1:1: a symbolic link loop: not loaded"
    ]


@pytest.mark.parametrize("name", ["OTHER.YAML", "other.Yml", "other.yml"])
def test_any_case_of_the_suffix_is_loaded_and_counted_in_the_version(tmp_path: Path, name: str) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    alone = load_rules([tmp_path / "pack"]).version
    other = write_pack(tmp_path / "pack", OTHER_RULE, name)
    loaded = load_rules([tmp_path / "pack"])
    assert {rule.id for rule in loaded.rules} == {"TEST-HIGH", "TEST-OTHER"}
    assert loaded.version != alone
    other.write_text(OTHER_RULE.replace("limit: 1000", "limit: 900"), encoding="utf-8")
    assert load_rules([tmp_path / "pack"]).version != loaded.version


def test_a_rule_file_in_a_sub_folder_of_a_pack_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    stray = write_pack(tmp_path / "pack" / "more", OTHER_RULE)
    assert problems(tmp_path / "pack") == [
        f"{stray}:1:1: not loaded: a pack's rule files sit directly in its folder "
        f"({tmp_path / 'pack'}), not in a sub-folder"
    ]


def test_a_pack_one_folder_too_deep_in_a_folder_of_packs_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path / "packs" / "b12", VALID_RULE)
    stray = write_pack(tmp_path / "packs" / "group" / "other", OTHER_RULE)
    assert problems(tmp_path / "packs") == [
        f"{stray}:1:1: not loaded: {tmp_path / 'packs' / 'group'} is not a pack (no rule files of its "
        "own); name the pack's own folder with --rules"
    ]


@pytest.mark.parametrize("name", ["dose.yaml~", "dose.yaml.txt", "dose.YML.orig", "#dose.yaml#"])
def test_a_file_named_like_a_rule_file_that_is_not_loaded_is_refused(tmp_path: Path, name: str) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    odd = write_pack(tmp_path / "pack", OTHER_RULE, name)
    assert problems(tmp_path / "pack") == [
        f"{odd}:1:1: not named *.yaml or *.yml: not loaded; rename it to load its rules, or move it out "
        "of the pack"
    ]


@pytest.mark.parametrize(
    "name", [".dose.yaml", ".dose.yaml.swp", ".gitlab-ci.yml", ".pre-commit-config.yaml"]
)
def test_hidden_files_are_not_part_of_a_pack(tmp_path: Path, name: str) -> None:
    """What ``ls`` and ``*.yaml`` show is what loads: an editor's swap file or a repository's CI
    configuration beside the rules neither loads nor stops the pack."""
    write_pack(tmp_path / "pack", VALID_RULE)
    write_pack(tmp_path / "pack", OTHER_RULE, name)
    assert [rule.id for rule in load_rules([tmp_path / "pack"]).rules] == ["TEST-HIGH"]


def test_other_files_and_hidden_folders_are_not_rule_files(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    (tmp_path / "pack" / "README.md").write_text("# a pack\n", encoding="utf-8")
    (tmp_path / "pack" / ".DS_Store").write_bytes(b"\0\1")
    write_pack(tmp_path / "pack" / "features", "Feature: x\n", "dose.feature")
    write_pack(tmp_path / "pack" / ".github" / "workflows", "on: push\n", "ci.yml")
    assert [rule.id for rule in load_rules([tmp_path / "pack"]).rules] == ["TEST-HIGH"]


def test_a_symlink_to_a_rule_file_outside_the_pack_is_loaded(tmp_path: Path) -> None:
    shared = write_pack(tmp_path / "shared", OTHER_RULE)
    write_pack(tmp_path / "pack", VALID_RULE)
    (tmp_path / "pack" / "other.yaml").symlink_to(shared)
    assert {rule.id for rule in load_rules([tmp_path / "pack"]).rules} == {"TEST-HIGH", "TEST-OTHER"}


def test_a_folder_a_fifo_and_a_device_named_like_rule_files_are_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write_pack(pack, VALID_RULE)
    (pack / "folder.yaml").mkdir()
    os.mkfifo(pack / "fifo.yaml")
    (pack / "zero.yaml").symlink_to("/dev/zero")
    assert problems(pack) == [
        f"{pack / 'fifo.yaml'}:1:1: not a regular file (a named pipe): not loaded",
        f"{pack / 'folder.yaml'}:1:1: not a regular file (a folder): not loaded",
        f"{pack / 'zero.yaml'}:1:1: not a regular file (a device): not loaded",
    ]


def test_a_huge_rule_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    huge = write_pack(tmp_path / "pack", VALID_RULE)
    with huge.open("ab") as stream:
        stream.write(b"#" * files.MAX_FILE_BYTES)
    assert problems(tmp_path / "pack") == [
        f"{huge}:1:1: larger than {files.MAX_FILE_BYTES // 2**20} MiB: not a rule file"
    ]


def test_an_unreadable_rule_file_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pack(tmp_path / "pack", VALID_RULE)
    real_open = os.open

    def refusing_open(name: object, *args: object, **kwargs: object) -> int:
        if str(name) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    assert problems(tmp_path / "pack") == [f"{path}:1:1: cannot read: Permission denied"]


@pytest.mark.parametrize("inner", [False, True])
def test_an_unreadable_folder_is_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inner: bool
) -> None:
    write_pack(tmp_path / "packs" / "b12", VALID_RULE)
    locked = tmp_path / "packs" / "b12" if inner else tmp_path / "packs"
    real_scandir = os.scandir

    def refusing_scandir(name: object = ".") -> object:
        if str(name) == str(locked):
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_scandir(name)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", refusing_scandir)
    assert problems(tmp_path / "packs") == [f"{locked}:1:1: cannot read the folder: Permission denied"]


def test_pack_yml_is_the_pack_file_and_two_pack_files_are_refused(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    write_pack(tmp_path / "pack", "name: test\ntitle: Test\ndrugs:\n  - name: cyanocobalamin\n", "pack.yml")
    assert load_rules([tmp_path / "pack"]).drug_names == {"cyanocobalamin": "cyanocobalamin"}
    first = write_pack(tmp_path / "pack", "name: test\ntitle: Test\n", "PACK.yaml")
    assert problems(tmp_path / "pack") == [
        f"{tmp_path / 'pack' / 'pack.yml'}:1:1: a second pack file ({first} is the first): not loaded"
    ]


def test_a_pack_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    write_pack(tmp_path / "pack", VALID_RULE)
    (tmp_path / "pack" / "pack.yaml").symlink_to("gone.yaml")
    assert problems(tmp_path / "pack") == [
        f"{tmp_path / 'pack' / 'pack.yaml'}:1:1: a broken symbolic link (to 'gone.yaml'): not loaded"
    ]


def test_a_symlinked_folder_loop_ends_and_loads_each_rule_once(tmp_path: Path) -> None:
    write_pack(tmp_path / "packs" / "b12", VALID_RULE)
    (tmp_path / "packs" / "b12" / "again").symlink_to(tmp_path / "packs")
    assert [rule.id for rule in load_rules([tmp_path / "packs"]).rules] == ["TEST-HIGH"]


def test_every_bundled_file_that_looks_like_a_rule_file_is_loaded() -> None:
    """The bundled packs hold nothing the loader would refuse (the rules version counts every file)."""
    load_rules([bundled_rules_dir()])
    for path in bundled_rules_dir().rglob("*"):
        assert not files.looks_like_rule_file(path.name) or files.loads(path.name), path


def test_a_copied_bundled_pack_with_an_upper_case_file_keeps_its_rules(tmp_path: Path) -> None:
    shutil.copytree(bundled_rules_dir() / "b12", tmp_path / "b12")
    (tmp_path / "b12" / "dose.yaml").rename(tmp_path / "b12" / "DOSE.YAML")
    assert "B12-DOSE-HIGH" in {rule.id for rule in load_rules([tmp_path / "b12"]).rules}


def test_a_pack_with_a_pack_file_and_no_rule_files_is_refused(tmp_path: Path) -> None:
    """Its drugs would count as covered, and their orders pass with nothing checked."""
    write_pack(tmp_path / "packs" / "b12", VALID_RULE)
    empty = write_pack(
        tmp_path / "packs" / "hydroxo", "name: hydroxo\ntitle: H\ndrugs: [{name: x}]\n", "pack.yaml"
    )
    assert problems(tmp_path / "packs") == [
        f"{empty}:1:1: a pack without rule files: its drugs would count as covered with nothing checked"
    ]


def test_paths_the_system_cannot_take_are_problems_not_tracebacks(tmp_path: Path) -> None:
    assert problems(tmp_path / "a\0b") == [f"{tmp_path / 'a'}\0b:1:1: cannot read: embedded null byte"]
    with pytest.raises(RulePackError) as caught:
        load_rules([tmp_path], overrides=tmp_path / "a\0b.yaml")
    assert "cannot read: embedded null byte" in str(caught.value)


def test_a_packs_scenarios_are_not_rule_files_and_not_in_the_rules_version(tmp_path: Path) -> None:
    """Scenarios sit beside their rules (``<pack>/features/``, sub-folders too): nothing there is
    loaded, and changing a scenario does not change the rules version."""
    write_pack(tmp_path / "pack", VALID_RULE)
    before = load_rules([tmp_path / "pack"]).version
    write_pack(tmp_path / "pack" / files.FEATURES_FOLDER, "Feature: x\n", "dose.feature")
    write_pack(tmp_path / "pack" / files.FEATURES_FOLDER / "more", "Feature: y\n", "route.feature")
    after = load_rules([tmp_path / "pack"])
    assert [rule.id for rule in after.rules] == ["TEST-HIGH"]
    assert after.version == before
    assert files.pack_folders([tmp_path / "pack"]) == [tmp_path / "pack"]


def test_a_rule_file_in_a_packs_features_folder_is_refused(tmp_path: Path) -> None:
    """The features folder is a sub-folder like any other: a rule file there would not run."""
    write_pack(tmp_path / "pack", VALID_RULE)
    stray = write_pack(tmp_path / "pack" / files.FEATURES_FOLDER, OTHER_RULE, "other.yaml")
    assert problems(tmp_path / "pack") == [
        f"{stray}:1:1: not loaded: a pack's rule files sit directly in its folder "
        f"({tmp_path / 'pack'}), not in a sub-folder"
    ]


def test_a_packs_scenarios_are_in_its_own_features_folder_else_beside_or_above_it(tmp_path: Path) -> None:
    own, beside, above = (tmp_path / "rules" / "a", tmp_path / "rules" / "b", tmp_path / "other" / "c")
    for pack in (own / "features", beside, above):
        pack.mkdir(parents=True)
    assert files.feature_folders([own, beside, above]) == [str(own / "features")]
    (tmp_path / "rules" / "features").mkdir()
    (tmp_path / "features").mkdir()
    assert files.feature_folders([own, beside, above]) == [
        str(own / "features"),
        str(tmp_path / "rules" / "features"),
        str(tmp_path / "features"),
    ]


def test_two_packs_sharing_the_features_folder_beside_them_look_no_further(tmp_path: Path) -> None:
    """rules/a and rules/b with rules/features: both packs' scenarios are there. The features/ above
    rules/ belongs to neither (it was searched for the second pack, because the first had taken
    rules/features already)."""
    for folder in ("rules/a", "rules/b", "rules/features", "features"):
        (tmp_path / folder).mkdir(parents=True)
    packs = [tmp_path / "rules" / "a", tmp_path / "rules" / "b"]
    assert files.feature_folders(packs) == [str(tmp_path / "rules" / "features")]


def test_the_bundled_packs_keep_their_scenarios_beside_them() -> None:
    rules = bundled_rules_dir()
    folders = files.feature_folders(files.pack_folders([rules]))
    assert [Path(folder).relative_to(rules).as_posix() for folder in folders] == [
        "b12/features",
        "enoxaparin/features",
        "folic_acid/features",
        "hydroxocobalamin/features",
        "notation/features",
    ]
    assert all(any(Path(folder).rglob("*.feature")) for folder in folders)
