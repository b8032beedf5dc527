"""Every detector's docstring documents all its parameters, its fitted attributes and an example."""

import doctest
import inspect

import pytest

import pyod_aeplus
from pyod_aeplus import BaseAutoEncoder
from pyod_aeplus._docstrings import (
    complete_docstring,
    documented_default,
    same_default,
    split_entries,
    split_sections,
)

DETECTORS = [getattr(pyod_aeplus, name) for name in pyod_aeplus.__all__
             if inspect.isclass(getattr(pyod_aeplus, name))
             and issubclass(getattr(pyod_aeplus, name), BaseAutoEncoder)
             and getattr(pyod_aeplus, name) is not BaseAutoEncoder]
ENGINE_ATTRIBUTES = [name for names, _, _ in
                     split_entries(dict(split_sections(BaseAutoEncoder.__doc__)[1])["Attributes"])
                     for name in names]


def section(cls, title):
    return dict(split_sections(cls.__doc__)[1]).get(title, [])


def init_parameters(cls):
    return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]


def test_every_public_detector_is_checked():
    assert {cls.__name__ for cls in DETECTORS} == {
        "AEPlus", "ConvAE", "DeepAE", "DenoisingAE", "DenseAE", "SparseAE", "VAE"}
    assert {"decision_scores_", "threshold_", "labels_", "n_features_in_",
            "history_"} <= set(ENGINE_ATTRIBUTES)


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda cls: cls.__name__)
def test_docstring_documents_every_init_parameter_once_in_signature_order(cls):
    documented = [name for names, _, _ in split_entries(section(cls, "Parameters"))
                  for name in names]
    assert documented == init_parameters(cls)


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda cls: cls.__name__)
def test_documented_defaults_are_the_signature_defaults(cls):
    signature = inspect.signature(cls.__init__)
    for names, header, _ in split_entries(section(cls, "Parameters")):
        stated = documented_default(header)
        for name in names:
            if stated is not None:
                default = signature.parameters[name].default
                assert same_default(stated, default), f"{name}: {stated} != {default!r}"


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda cls: cls.__name__)
def test_docstring_lists_the_fitted_attributes(cls):
    listed = [name for names, _, _ in split_entries(section(cls, "Attributes")) for name in names]
    assert set(ENGINE_ATTRIBUTES) <= set(listed)
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda cls: cls.__name__)
def test_docstring_has_an_example_that_runs(cls):
    assert any(line.startswith(">>> ") for line in section(cls, "Examples"))
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in doctest.DocTestFinder(recurse=False).find(cls, cls.__name__,
                                                          globs={}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_engine_text_fills_in_and_says_when_a_default_differs():
    class _Engine(BaseAutoEncoder):
        """Made-up detector.

        Parameters
        ----------
        width : int, default=3
            Its own parameter.

        Examples
        --------
        >>> 1
        1
        """

        def __init__(self, width=3, contamination=0.1, lr=0.5):
            pass

    doc = complete_docstring(_Engine)
    parameters = split_entries(dict(split_sections(doc)[1])["Parameters"])
    assert [names for names, _, _ in parameters] == [("width",), ("contamination",), ("lr",)]
    names, header, description = parameters[2]
    assert header == "lr : float, default=0.5"
    assert description[-1] == "    This default differs from the engine's (1e-3)."
    # Sections keep numpydoc's order: Attributes (filled in) before Examples.
    titles = [title for title, _ in split_sections(doc)[1]]
    assert titles == ["Parameters", "Attributes", "Examples"]


def test_a_subclass_takes_its_parents_entries_before_the_engines():
    from pyod_aeplus import DeepAE

    class _Deeper(DeepAE):
        """Made-up subclass with DeepAE's parameters."""

        def __init__(self, hidden_sizes=(4, 2), dropout=0.0):
            pass

    parameters = split_entries(dict(split_sections(complete_docstring(_Deeper))[1])["Parameters"])
    header, description = parameters[0][1], parameters[0][2]
    assert header == "hidden_sizes : tuple of int, default=(4, 2)"
    assert description[-1] == "    This default differs from :class:`DeepAE`'s ((64, 32))."


def test_a_class_without_a_docstring_keeps_none():
    class _Bare(BaseAutoEncoder):
        pass

    assert complete_docstring(_Bare) is None
