"""Tests for tutorial_lib.datasets: shapes, known values, an internal identity of Seeds, validation."""
import dataclasses

import numpy as np
import pytest

from tutorial_lib import datasets as ds


def test_toy_examples_match_the_paper():
    toy = ds.toy_four_points()
    assert toy.X.shape == (4, 1)
    np.testing.assert_array_equal(toy.X.ravel(), [0, 2, 10, 14])
    np.testing.assert_array_equal(toy.y, [0, 0, 1, 1])
    e3, e4 = ds.example3_perturbed(), ds.example4_perturbed()
    np.testing.assert_array_equal(e3.X.ravel() - toy.X.ravel(), [0, 0, 7, 0])
    np.testing.assert_array_equal(e4.X.ravel() - toy.X.ravel(), [0, 0, -14, 0])
    np.testing.assert_array_equal(e4.y, [0, 0, 0, 1])


@pytest.mark.parametrize(
    "loader, shape, counts, first_row",
    [
        (ds.load_iris, (150, 4), [50, 50, 50], [5.1, 3.5, 1.4, 0.2]),
        (ds.load_wine, (178, 13), [59, 71, 48], None),
        (ds.load_seeds, (210, 7), [70, 70, 70], [15.26, 14.84, 0.871, 5.763, 3.312, 2.221, 5.22]),
    ],
)
def test_uci_shapes_classes_and_values(loader, shape, counts, first_row):
    data = loader()
    assert data.X.shape == shape
    assert data.y.shape == (shape[0],)
    np.testing.assert_array_equal(np.bincount(data.y), counts)
    assert len(data.feature_names) == shape[1]
    assert data.citation and data.description
    if first_row is not None:
        np.testing.assert_allclose(data.X[0], first_row)


def test_seeds_last_row_and_compactness_identity():
    seeds = ds.load_seeds()
    # last line of the original file: 12.3 13.34 0.8684 5.243 2.974 5.637 5.063 3
    np.testing.assert_allclose(seeds.X[-1], [12.3, 13.34, 0.8684, 5.243, 2.974, 5.637, 5.063])
    assert seeds.y[-1] == 2
    # compactness C = 4 pi A / P^2 holds row by row (to the 4 digits the file keeps)
    area, perimeter, compact = seeds.X[:, 0], seeds.X[:, 1], seeds.X[:, 2]
    np.testing.assert_allclose(4 * np.pi * area / perimeter**2, compact, atol=2e-3)


def test_seeds_file_really_has_doubled_tabs():
    text = (ds._DATA_DIR / "seeds_dataset.txt").read_text()
    assert "\t\t" in text  # a naive single-tab split would break; the loader must not


def test_dataset_is_frozen_and_read_only():
    iris = ds.load_iris()
    with pytest.raises(dataclasses.FrozenInstanceError):
        iris.X = np.zeros((2, 2))
    with pytest.raises(ValueError):
        iris.X[0, 0] = 1.0


def test_standardized_has_zero_mean_unit_std():
    wine = ds.load_dataset("wine", standardize=True)
    np.testing.assert_allclose(wine.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(wine.X.std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(wine.y, ds.load_wine().y)


def test_load_dataset_by_name_and_bad_names():
    assert ds.load_dataset("seeds").X.shape == (210, 7)
    assert set(ds.DATASET_NAMES) == {"toy", "iris", "seeds", "wine"}
    with pytest.raises(ValueError, match="name"):
        ds.load_dataset("mnist")
    with pytest.raises(TypeError, match="name"):
        ds.load_dataset(3)
    with pytest.raises(TypeError, match="standardize"):
        ds.load_dataset("iris", standardize="yes")


def test_dataset_validates_its_fields():
    with pytest.raises(ValueError, match="X"):
        ds.Dataset("bad", np.array([[np.nan]]), np.array([0]), ("a",), "", "")
    with pytest.raises(ValueError, match="y"):
        ds.Dataset("bad", np.zeros((3, 1)), np.array([0, 1]), ("a",), "", "")
    with pytest.raises(ValueError, match="feature_names"):
        ds.Dataset("bad", np.zeros((3, 1)), np.array([0, 1, 1]), ("a", "b"), "", "")


def test_standardized_feature_names_drop_units():
    iris = ds.load_dataset("iris", standardize=True)
    assert iris.feature_names[3] == "petal width (standardized)"
    assert not any("cm" in f for f in iris.feature_names)
    assert all(f.endswith("(standardized)") for f in ds.load_dataset("wine", standardize=True).feature_names)
    assert ds.load_dataset("seeds", standardize=True).feature_names[0] == "area (standardized)"
    assert ds.load_iris().feature_names[3] == "petal width (cm)"   # the raw data keep their units
