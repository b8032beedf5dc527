"""``pyod-aeplus``: fit a detector on a CSV or Parquet file, and score new rows with it.

::

    pyod-aeplus fit DATA.csv --detector AEPlus --contamination 0.05 \\
        [--param name=value ...] [--columns A B ...] [--id-column ID] \\
        --model model.pt --output scores.csv
    pyod-aeplus score NEW.csv --model model.pt --output scores.csv [--id-column ID]

Both write one row per input row, in the input's order: the id column when
one is named, the outlier ``score`` (higher is more abnormal) and the
``label`` (1 outlier, 0 inlier, by the model's threshold). Reading the files
needs pandas (and pyarrow for Parquet): ``pip install 'pyod_aeplus[cli]'``.

A bad file or setting is one line on stderr, ``error: ...``, and exit code 2.
"""

import argparse
import ast
import importlib.util
import sys
from pathlib import Path

#: Detectors the command line fits (those :meth:`BaseAutoEncoder.save` can save).
#: Written out so that ``--help`` does not import torch; a test checks the list.
DETECTORS = ("AEPlus", "ConvAE", "DeepAE", "DenoisingAE", "DenseAE", "SparseAE", "VAE")
#: Set by their own options, never by ``--param``.
_OWN_OPTIONS = {"contamination": "--contamination", "random_state": "--random-state"}
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
INSTALL_HINT = "pip install 'pyod_aeplus[cli]'"


class CommandError(Exception):
    """A problem with the user's files or settings: printed as one line, exit code 2."""


# ------------------------------------------------------------------ parsing
def _param(text):
    """``name=value`` → ``(name, value)``; the value is a Python literal, else a string."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        value = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        value = value.strip()  # a bare word such as cpu or relu
    return name, value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="pyod-aeplus",
        description="Fit an outlier detector on a CSV or Parquet file and score rows with it.",
        epilog="Errors in the files or settings print one line, 'error: ...', and exit with 2.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = commands.add_parser(
        "fit", help="fit a detector on DATA; write the rows' scores and labels, save the model",
        description="Fit a detector on the rows of DATA (a .csv or .parquet file), write the "
                    "score and label of every row, and save the fitted model.")
    fit.add_argument("data", metavar="DATA", help="training rows: a .csv or .parquet file")
    fit.add_argument("--detector", default="AEPlus", choices=DETECTORS,
                     help="the detector (default: AEPlus)")
    fit.add_argument("--contamination", type=float, default=0.1,
                     help="expected fraction of outliers; sets the label threshold "
                          "(default: 0.1)")
    fit.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                     help="a parameter of the detector, repeatable: --param epochs=50 "
                          "--param 'hidden_sizes=(64, 32)' (Python literals; bare words are "
                          "strings)")
    fit.add_argument("--random-state", type=int, default=None,
                     help="seed: the same seed and data give the same model")
    _add_common(fit)
    fit.add_argument("--columns", nargs="+", default=None, metavar="COLUMN",
                     help="the feature columns (default: every column but the id column)")
    fit.add_argument("--model", default=None,
                     help="where to save the fitted model (for 'pyod-aeplus score')")

    score = commands.add_parser(
        "score", help="score the rows of DATA with a saved model",
        description="Score the rows of DATA (a .csv or .parquet file) with a model saved by "
                    "'pyod-aeplus fit'. A model fitted on named columns takes those columns "
                    "of DATA, in its order; other columns are ignored.")
    score.add_argument("data", metavar="DATA", help="rows to score: a .csv or .parquet file")
    score.add_argument("--model", required=True, help="a model saved by 'pyod-aeplus fit'")
    _add_common(score)
    return parser


def _add_common(parser):
    parser.add_argument("--output", default="-",
                        help="scores file, .csv or .parquet (default: CSV on standard output)")
    parser.add_argument("--id-column", default=None, metavar="COLUMN",
                        help="a column copied to the output to identify the rows, never a "
                             "feature")


# --------------------------------------------------------------------- I/O
def _pandas():
    if importlib.util.find_spec("pandas") is None:
        raise CommandError(f"reading data files needs pandas: {INSTALL_HINT}")
    import pandas

    return pandas


def _file_format(path):
    name = str(path).lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _check_parquet_engine(path):
    if importlib.util.find_spec("pyarrow") is None:
        raise CommandError(f"{path}: Parquet files need pyarrow: {INSTALL_HINT} "
                           "(or pip install pyarrow)")


def read_table(path):
    """The DataFrame in ``path`` (CSV with a header row, or Parquet); clear errors otherwise."""
    pandas = _pandas()
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.is_dir():
        raise CommandError(f"{path}: is a folder, not a file")
    kind = _file_format(path)
    if kind is None:
        raise CommandError(f"{path}: not a CSV or Parquet file (its name must end in .csv or "
                           ".parquet)")
    if kind == "parquet":
        _check_parquet_engine(path)
    try:
        if kind == "csv":
            frame = pandas.read_csv(path)
        else:
            frame = pandas.read_parquet(path)
    except pandas.errors.EmptyDataError:
        raise CommandError(f"{path}: the file is empty") from None
    except Exception as error:  # a damaged file: whatever the parser says, on one line
        reason = " ".join(str(error).split()) or type(error).__name__
        raise CommandError(f"{path}: cannot read it as {kind.upper()}: {reason}") from None
    if frame.shape[1] == 0 or len(frame) == 0:
        raise CommandError(f"{path}: no data rows")
    return frame


def write_table(frame, output):
    """Write ``frame`` to ``output`` (.csv or .parquet), or as CSV to standard output for '-'."""
    if output == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    if _file_format(output) == "parquet":
        _check_parquet_engine(output)
        frame.to_parquet(output, index=False)
    else:
        frame.to_csv(output, index=False)


def _check_writable(path, table=False):
    """Fail before a long fit, not after it, when an output cannot be written."""
    if path is None or path == "-":
        return
    if table and _file_format(path) is None:
        raise CommandError(f"{path}: the scores file must end in .csv or .parquet")
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise CommandError(f"{path}: the folder {path.parent} does not exist")


def _names(columns):
    return ", ".join(repr(str(c)) for c in columns)


def _column(frame, name, path, what):
    if name not in frame.columns:
        raise CommandError(f"{path}: no {what} column {name!r}; its columns: "
                           f"{_names(frame.columns)}")
    return frame[name]


def feature_frame(frame, path, columns=None, id_column=None):
    """The numeric feature columns of ``frame``, checked: no text columns, no NaN or inf."""
    pandas = _pandas()
    if columns is None:
        columns = [c for c in frame.columns if c != id_column]
    else:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise CommandError(f"{path}: no column {_names(missing)}; its columns: "
                               f"{_names(frame.columns)}")
        if id_column is not None and id_column in columns:
            raise CommandError(f"the id column {id_column!r} cannot also be a feature column")
        duplicated = sorted({str(c) for c in columns if columns.count(c) > 1})
        if duplicated:
            raise CommandError(f"--columns names {_names(duplicated)} more than once")
    if not columns:
        raise CommandError(f"{path}: no feature columns left besides the id column")
    features = frame[list(columns)]
    text = [c for c in features.columns
            if not pandas.api.types.is_numeric_dtype(features[c])
            or pandas.api.types.is_complex_dtype(features[c])]
    if text:
        raise CommandError(
            f"{path}: non-numeric column{'s' if len(text) > 1 else ''} {_names(text)}: "
            "pick the feature columns with --columns, or name an id column with --id-column")
    _check_finite(features, path)
    return features


def _check_finite(features, path):
    import numpy as np

    values = features.to_numpy(dtype=np.float64, na_value=np.nan)
    for problem, bad in (("missing values (NaN)", np.isnan(values)),
                         ("infinite values", np.isinf(values))):
        per_column = bad.sum(axis=0)
        if per_column.any():
            where = ", ".join(f"{str(c)!r} ({n} row{'s' if n > 1 else ''})"
                              for c, n in zip(features.columns, per_column) if n)
            first = int(np.flatnonzero(bad.any(axis=1))[0])
            raise CommandError(f"{path}: {problem} in column {where}; the first is in data row "
                               f"{first + 1}. Fill or drop them first")


def scores_frame(frame, scores, labels, id_column):
    pandas = _pandas()
    out = pandas.DataFrame({"score": scores, "label": labels.astype(int)})
    if id_column is not None:
        out.insert(0, id_column, frame[id_column].to_numpy())
    return out


# ----------------------------------------------------------------- commands
def _make_detector(name, contamination, random_state, params):
    import pyod_aeplus

    cls = getattr(pyod_aeplus, name)
    known = cls().get_params(deep=False)
    settings = {}
    for key, value in params:
        if key in _OWN_OPTIONS:
            raise CommandError(f"set {key} with {_OWN_OPTIONS[key]}, not --param")
        if key not in known:
            raise CommandError(f"{name} has no parameter {key!r}; its parameters: "
                               f"{', '.join(sorted(set(known) - set(_OWN_OPTIONS)))}")
        if key in settings:
            raise CommandError(f"--param {key} is given twice")
        settings[key] = value
    return cls(contamination=contamination, random_state=random_state, **settings)


def fit_command(args):
    """``pyod-aeplus fit``: returns the fitted detector."""
    _check_writable(args.model)
    _check_writable(args.output, table=True)
    frame = read_table(args.data)
    if args.id_column is not None:
        _column(frame, args.id_column, args.data, "id")
    features = feature_frame(frame, args.data, args.columns, args.id_column)
    if len(features) < 2:
        raise CommandError(f"{args.data}: fitting needs at least 2 rows, it has {len(features)}")
    detector = _make_detector(args.detector, args.contamination, args.random_state, args.param)
    try:
        detector.fit(features)
    except (ValueError, TypeError, FloatingPointError) as error:
        raise CommandError(f"{args.detector}: {error}") from None
    if args.model is not None:
        detector.save(args.model)
    write_table(scores_frame(frame, detector.decision_scores_, detector.labels_,
                             args.id_column), args.output)
    n_outliers = int(detector.labels_.sum())
    print(f"fitted {args.detector} on {features.shape[0]} rows x {features.shape[1]} columns; "
          f"{n_outliers} labelled outliers (score > {detector.threshold_:.6g})"
          + (f"; model: {args.model}" if args.model else "")
          + (f"; scores: {args.output}" if args.output != "-" else ""), file=sys.stderr)
    return detector


def load_model(path):
    from . import load

    if not Path(path).is_file():
        raise CommandError(f"{path}: no such model file")
    try:
        return load(path)
    except ValueError as error:
        message = str(error)
        if error.__cause__ is not None:  # the reader's own words: long, several lines
            message = message.removesuffix(f": {error.__cause__}")
        raise CommandError(message) from None


def model_features(detector, frame, path, id_column):
    """The columns of ``frame`` that ``detector`` takes, in its order."""
    names = getattr(detector, "feature_names_in_", None)
    if names is None:
        features = feature_frame(frame, path, None, id_column)
        if features.shape[1] != detector.n_features_in_:
            raise CommandError(
                f"{path}: the model takes {detector.n_features_in_} feature columns, the file "
                f"has {features.shape[1]} ({_names(features.columns)})")
        return features
    names = [str(n) for n in names]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise CommandError(f"{path}: the model's column{'s' if len(missing) > 1 else ''} "
                           f"{_names(missing)} missing; the model takes {_names(names)}")
    if id_column is not None and id_column in names:
        raise CommandError(f"the id column {id_column!r} is one of the model's feature columns")
    return feature_frame(frame, path, names, id_column)


def score_command(args):
    """``pyod-aeplus score``: returns the scores frame."""
    _check_writable(args.output, table=True)
    detector = load_model(args.model)
    frame = read_table(args.data)
    if args.id_column is not None:
        _column(frame, args.id_column, args.data, "id")
    features = model_features(detector, frame, args.data, args.id_column)
    try:
        scores = detector.decision_function(features)
    except (ValueError, TypeError) as error:
        raise CommandError(f"{args.data}: {error}") from None
    # PyOD's predict is this comparison; it is made here to score the rows once.
    labels = (scores > detector.threshold_).astype(int)
    out = scores_frame(frame, scores, labels, args.id_column)
    write_table(out, args.output)
    print(f"scored {len(out)} rows with {type(detector).__name__}; {int(labels.sum())} "
          f"labelled outliers (score > {detector.threshold_:.6g})"
          + (f"; scores: {args.output}" if args.output != "-" else ""), file=sys.stderr)
    return out


def main(argv=None):
    """Run the command line; returns the exit code (0, or 2 for an error)."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "fit":
            fit_command(args)
        else:
            score_command(args)
    except (CommandError, OSError) as error:  # OSError: a file could not be read or written
        print("error:", " ".join(str(error).split()), file=sys.stderr)  # one line
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
