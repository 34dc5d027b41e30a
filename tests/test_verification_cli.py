"""``ttsim verify-split``: JSON and table output, population sources, one-line errors."""

import json

import pytest

from ttsim.cli import main


def test_json_single_problem(capsys):
    assert main(["verify-split", "--p", "0.4", "--tpr", "0.9", "--fpr", "0.1", "--lam", "1",
                 "--budget", "4", "16,64", "--sc-max-solutions", "16", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["rows"]
    assert [r["budget"] for r in rows] == [4.0, 16.0, 64.0]
    for r in rows:
        assert r["genrm_solutions"] * (1 + r["genrm_verifications"]) <= r["budget"]
        assert 0.0 <= r["sc_accuracy"] <= 1.0 and 0.0 <= r["genrm_accuracy"] <= 1.0
    assert rows[-1]["best"] == "genrm"  # a sharp verifier at 64x wins
    assert set(out["crossover"]) >= {"compute_multiple", "sc_peak_accuracy", "genrm_match_budget"}


def test_uninformative_verifier_never_best(capsys):
    # tpr == fpr: GenRM is a random pick (accuracy p), never better than SC's vote at C = 2.
    assert main(["verify-split", "--p", "0.2", "--tpr", "0.5", "--fpr", "0.5", "--lam", "1",
                 "--budget", "2", "--sc-max-solutions", "4", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["genrm_accuracy"] == pytest.approx(0.2, abs=1e-6) == row["sc_accuracy"]
    assert row["best"] == "sc"


def test_table_beta_and_counts(capsys, tmp_path):
    assert main(["verify-split", "--beta", "0.5,0.5", "--tpr", "0.8", "--fpr", "0.4", "--lam", "2",
                 "--budget", "8", "32", "--sc-max-solutions", "8", "--max-verifications", "4"]) == 0
    text = capsys.readouterr().out
    assert "SC acc" in text and "GenRM" in text
    f = tmp_path / "counts.csv"
    f.write_text("problem,n_samples,n_correct\na,10,3\nb,10,9\nc,10,0\n")
    assert main(["verify-split", "--counts", str(f), "--tpr", "0.8", "--fpr", "0.4", "--lam", "1",
                 "--budget", "8", "--sc-max-solutions", "8", "--max-verifications", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["population"]["num_problems"] == 3


@pytest.mark.parametrize(
    "argv,match",
    [(["--p", "1.5"], "--p"), (["--p", "0.3", "--budget-extra"], None), (["--p", "0.3", "--lam", "-1"], "--lam"),
     (["--p", "0.3", "--budget", "0.5"], "--budget"), (["--p", "0.3", "--tpr", "2"], "--tpr"),
     (["--beta", "1"], "--beta"), (["--counts", "/nonexistent/counts.csv"], "counts")],
)
def test_errors_are_one_line(capsys, argv, match):
    base = {"--tpr": "0.8", "--fpr": "0.3", "--lam": "1", "--budget": "4"}
    args = list(argv)
    for k, val in base.items():
        if k not in args:
            args += [k, val]
    if match is None:  # argparse usage error
        with pytest.raises(SystemExit) as exc:
            main(["verify-split", *args])
        assert exc.value.code == 2
        return
    assert main(["verify-split", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and match in err
