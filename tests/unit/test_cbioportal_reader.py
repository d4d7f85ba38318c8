"""Reading cBioPortal study folders as published: both SV layouts and data_fusions.txt, case lists, timelines, and
the messiness of real downloads, with every problem named (file, column, count, examples) and reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from cbioportal_folders import SAMPLES, SV_PROFILED, write_study

from rwe_cohorts.ingest.cbioportal import CbioportalStudyError, convert_cbioportal_study, read_study
from rwe_cohorts.ingest.cbioportal.errors import Issues
from rwe_cohorts.ingest.cbioportal.tsv import clean, read_meta, read_tsv

# Every character Python's str.splitlines() treats as a line break besides \n and \r\n, plus a lone \r.
LINE_BREAKERS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"]


def _read(folder: Path):  # type: ignore[no-untyped-def]
    issues = Issues()
    study = read_study(folder, issues)
    assert study is not None, issues.problems
    return study, issues


def _problems(folder: Path, tmp_path: Path) -> list[str]:
    with pytest.raises(CbioportalStudyError) as err:
        convert_cbioportal_study(folder, tmp_path / "out")
    return err.value.problems


@pytest.mark.parametrize(
    ("layout", "label"),
    [("sv_new", "newer layout"), ("sv_old", "older layout"), ("fusions", "data_fusions.txt")],
)
def test_every_layout_reads_the_same_events(tmp_path: Path, layout: str, label: str) -> None:
    study, _ = _read(write_study(tmp_path / layout, layout=layout))
    assert label in study.sv_layout
    assert len(study.samples) == len(SAMPLES)
    # data_fusions.txt lists a fusion once per gene: its rows are grouped back into one event per fusion.
    assert sorted(e.sample_id for e in study.sv_events) == ["S01", "S02", "S03", "S04", "S05", "S06", "S10B", "S16B"]
    assert study.sv_profiled == frozenset(SV_PROFILED)
    s02 = next(e for e in study.sv_events if e.sample_id == "S02")
    assert (s02.site1_gene, s02.site2_gene) == ("NTRK1", "TPM3")


def test_fusions_layout_falls_back_to_the_sequenced_case_list(tmp_path: Path) -> None:
    study, _ = _read(write_study(tmp_path / "f", layout="fusions"))
    assert "_sequenced" in study.sv_profiled_source


def test_clinical_header_lines_are_optional(tmp_path: Path) -> None:
    with_header, _ = _read(write_study(tmp_path / "a", header_lines=True))
    without, _ = _read(write_study(tmp_path / "b", header_lines=False))
    assert with_header.patients == without.patients
    assert [s.attrs for s in with_header.samples] == [s.attrs for s in without.samples]


def test_missing_values_and_case_insensitive_columns(tmp_path: Path) -> None:
    assert [clean(v) for v in ("", " NA ", "N/A", "NaN", "[Not Available]", "[Unknown]", "null", " 12.5 ")] == [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "12.5",
    ]
    path = tmp_path / "data_sv.txt"
    path.write_text("\ufeffsample_id\tSite1_Hugo_Symbol\tSite2_Effect_on_Frame\nS1\tNTRK1\tIn_frame\n\n")
    table = read_tsv(path, Issues())
    assert table is not None and table.columns == ("SAMPLE_ID", "SITE1_HUGO_SYMBOL", "SITE2_EFFECT_ON_FRAME")
    assert table.rows == ({"SAMPLE_ID": "S1", "SITE1_HUGO_SYMBOL": "NTRK1", "SITE2_EFFECT_ON_FRAME": "In_frame"},)


def test_ragged_rows_padded_and_noted_overlong_rows_refused(tmp_path: Path) -> None:
    study, issues = _read(write_study(tmp_path / "s"))
    assert study.patients["P06"]["MY_CUSTOM_FIELD"] is None
    assert any("padded" in n and "line 11" in n for n in issues.notes)
    path = tmp_path / "t.txt"
    path.write_text("A\tB\n1\t2\t3\n4\t5\t\n")
    issues = Issues()
    table = read_tsv(path, issues)
    assert table is not None and len(table.rows) == 1
    assert issues.problems == ["t.txt: rows with more fields than the header: 1 (e.g. line 2)"]


def test_timeline_and_meta_declared_file_names(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", timeline=True)
    (folder / "data_sv.txt").rename(folder / "data_structural_variants.txt")
    (folder / "meta_sv.txt").write_text(
        "genetic_alteration_type: STRUCTURAL_VARIANT\ndatatype: SV\ndata_filename: data_structural_variants.txt\n"
    )
    study, _ = _read(folder)
    assert study.sv_file == "data_structural_variants.txt"
    assert study.timeline_files == ("data_timeline.txt",)
    kinds = sorted({e.event_type for e in study.timeline})
    assert kinds == ["DIAGNOSIS", "SEQUENCING", "SPECIMEN", "STATUS", "TREATMENT"]


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", timeline=True)
    sv = folder / "data_sv.txt"
    sv.write_text(sv.read_text() + "S99\tSOMATIC\tNTRK1\tTPM3\tIn_frame\tNo\tx\tTRANSLOCATION\n")
    sample = folder / "data_clinical_sample.txt"
    sample.write_text(sample.read_text() + "P07\tS07\tBreast Cancer\tIDC\tIDC\tPrimary\t58\n")
    cases = folder / "case_lists" / "cases_sv.txt"
    cases.write_text(cases.read_text().replace("S01\t", "S01\tGHOST\t"))
    timeline = folder / "data_timeline.txt"
    timeline.write_text(timeline.read_text() + "P01\tday ten\t\tLAB_TEST\t\t\t\n")
    problems = _problems(folder, tmp_path)
    text = "\n".join(problems)
    assert "data_sv.txt: column 'Sample_Id': samples not in the clinical sample file: 1 (e.g. S99)" in text
    assert "data_clinical_sample.txt: column 'SAMPLE_ID': duplicate samples: 1 (e.g. S07)" in text
    assert "case_lists/cases_sv.txt: case_list_ids: samples not in the clinical sample file: 1 (e.g. GHOST)" in text
    assert "data_timeline.txt: column 'START_DATE' / 'STOP_DATE': not a whole number of days" in text
    assert len(problems) == 4


def test_malformed_survival_and_age_are_named(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s")
    patient = folder / "data_clinical_patient.txt"
    text = patient.read_text().replace("1:DECEASED\t12.5", "2:MISSING\t12.5").replace("24.2", "about two years")
    patient.write_text(text.replace("0:LIVING\t15.1", "0:LIVING\t-3"))
    sample = folder / "data_clinical_sample.txt"
    sample.write_text(sample.read_text().replace("\t70\n", "\tseventy\n"))
    problems = _problems(folder, tmp_path)
    status = "data_clinical_patient.txt: column 'OS_STATUS': not 1:DECEASED / 0:LIVING (or words)"
    assert f"{status}: 1 (e.g. P01 ('2:MISSING'))" in problems
    assert any("'OS_MONTHS'" in p and "P04 ('about two years')" in p and "P07 ('-3')" in p for p in problems)
    assert any("not an age in years" in p and "P03 ('seventy')" in p for p in problems)


@pytest.mark.parametrize(
    ("remove", "expected"),
    [
        ("meta_study.txt", "meta_study.txt: missing"),
        ("data_clinical_sample.txt", "data_clinical_sample.txt: missing"),
        ("data_sv.txt", "data_sv.txt: missing, and no data_fusions.txt either"),
        ("case_lists", "case_lists: no structural-variant case list"),
    ],
)
def test_missing_files_are_named(tmp_path: Path, remove: str, expected: str) -> None:
    folder = write_study(tmp_path / "s")
    target = folder / remove
    if target.is_dir():
        for f in target.iterdir():
            f.unlink()
        target.rmdir()
    else:
        target.unlink()
        (folder / "meta_sv.txt").unlink()
    assert any(p.startswith(expected) for p in _problems(folder, tmp_path))


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s")
    sample = folder / "data_clinical_sample.txt"
    sample.write_text(sample.read_text().replace("\tSAMPLE_ID\t", "\tSAMPLE\t"))
    assert any("data_clinical_sample.txt: column 'SAMPLE_ID' missing" in p for p in _problems(folder, tmp_path))


def test_germline_structural_variants_are_ignored(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s")
    sv = folder / "data_sv.txt"
    sv.write_text(sv.read_text() + "S07\tGERMLINE\tNTRK1\tTPM3\tIn_frame\tYes\tTPM3-NTRK1 fusion\tTRANSLOCATION\n")
    study, issues = _read(folder)
    assert "S07" not in {e.sample_id for e in study.sv_events}
    assert any("GERMLINE" in n for n in issues.notes)


@pytest.mark.parametrize("char", LINE_BREAKERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("layout", ["sv_old", "sv_new"])
def test_control_characters_inside_fields_never_split_a_row(tmp_path: Path, char: str, layout: str) -> None:
    folder = write_study(tmp_path / "s", layout=layout)
    sv = folder / "data_sv.txt"
    free_text = "Its functional significance is undetermined." if layout == "sv_old" else "NTRK1-TPM3 rearrangement"
    text = sv.read_text()
    assert free_text in text
    sv.write_text(text.replace(free_text, free_text.replace(" ", char, 1)), newline="")
    sample = folder / "data_clinical_sample.txt"
    sample.write_text(sample.read_text().replace("\tColorectal Cancer\t", f"\tColorectal{char}Cancer\t"), newline="")
    patient = folder / "data_clinical_patient.txt"
    patient.write_bytes(patient.read_bytes().replace(b"\tx\r\n", f"\tx{char}y\r\n".encode()))
    study, issues = _read(folder)
    assert len(study.samples) == len(SAMPLES) and len(study.patients) == 15
    s02 = next(e for e in study.sv_events if e.sample_id == "S02")
    assert free_text.split(" ", 1)[1] in s02.description  # the rest of the field stayed in the same row and field
    assert next(s for s in study.samples if s.sample_id == "S03").attrs["CANCER_TYPE"] == "Colorectal Cancer"
    assert study.patients["P01"]["MY_CUSTOM_FIELD"] == "x y"
    notes = "\n".join(issues.notes)
    assert "data_sv.txt: column " in notes and "control characters" in notes
    assert "data_clinical_sample.txt: column 'CANCER_TYPE': control characters" in notes
    assert "data_clinical_patient.txt: column 'MY_CUSTOM_FIELD': control characters" in notes
    summary = convert_cbioportal_study(folder, tmp_path / "out")  # and the study converts as if the field were clean
    clean_summary = convert_cbioportal_study(write_study(tmp_path / "clean", layout=layout), tmp_path / "clean_out")
    assert summary.counts == clean_summary.counts


def test_a_vertical_tab_in_a_comment_is_not_a_sample(tmp_path: Path) -> None:
    """The reported failure: str.splitlines() cut one data_sv.txt row at a vertical tab in Comments, and the rest of
    the comment became a sample id unknown to the clinical file."""
    folder = write_study(tmp_path / "s", layout="sv_old")
    assert "\x0b" in (folder / "data_sv.txt").read_text()
    study, issues = _read(folder)
    assert "Its functional significance is undetermined." not in {e.sample_id for e in study.sv_events}
    assert any("'COMMENTS': control characters (\\x0b)" in n and "line 3" in n for n in issues.notes)


def test_quoted_values_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "data_sv.txt"
    rows = [
        "Sample_Id\tSite1_Hugo_Symbol\tEvent_Info",
        'S1\tNTRK1\t"Protein fusion: in frame (TPM3-NTRK1)"',
        'S2\t"NTRK3\tETV6"',  # a tab inside quotes still separates fields, as cBioPortal reads files
        'S3\tNTRK2\tsays "in frame" somewhere',
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    issues = Issues()
    table = read_tsv(path, issues)
    assert table is not None and table.columns == ("SAMPLE_ID", "SITE1_HUGO_SYMBOL", "EVENT_INFO")
    assert [r["EVENT_INFO"] for r in table.rows] == [
        "Protein fusion: in frame (TPM3-NTRK1)",
        'ETV6"',
        'says "in frame" somewhere',
    ]
    assert table.rows[1]["SITE1_HUGO_SYMBOL"] == '"NTRK3'
    assert any("'EVENT_INFO': values in double quotes unquoted: 1 (e.g. line 2)" in n for n in issues.notes)


def test_meta_files_and_case_lists_end_lines_only_at_newline(tmp_path: Path) -> None:
    meta = tmp_path / "meta_study.txt"
    meta.write_text("cancer_study_identifier: abc\nname: A\x0bB\u2028C\ndescription: x\r\n", newline="")
    assert read_meta(meta, Issues()) == {"cancer_study_identifier": "abc", "name": "A B C", "description": "x"}
