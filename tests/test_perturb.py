"""Training on perturbed samples: the masks are the Deletion metric's, seeded, and reach training."""
import torch

from conftest import short_config, train_run
from wrongnumber.core import perturb


def batch(n=400):
    return torch.full((n, 28, 28), 200, dtype=torch.uint8)


def test_no_perturbation_draws_nothing_and_changes_nothing():
    gen = perturb.generator(0)
    state = gen.get_state()
    x = batch()
    assert perturb.perturb(x, "none", 0.5, gen) is x
    assert torch.equal(gen.get_state(), state)


def test_mask_deletes_pixels_of_the_chosen_share_of_images():
    x = batch(2000)
    out = perturb.perturb(x, "mask", 0.5, perturb.generator(0))
    assert out.dtype == torch.uint8 and set(out.unique().tolist()) <= {0, 200}
    deleted = (out == 0).flatten(1).float().mean(1)
    touched = deleted > 0
    assert 0.45 < touched.float().mean() < 0.55              # prob = 0.5 of the images
    assert 0.45 < deleted[touched].mean() < 0.55             # r ~ U(0, 1): mean share 1/2
    assert deleted[touched].max() > 0.95 and deleted[touched].min() < 0.05
    every = (perturb.perturb(x, "mask", 1.0, perturb.generator(0)) == 0).flatten(1).any(1)
    assert every.float().mean() > 0.99  # prob 1: every image is chosen (r near 0 may delete none)
    assert torch.equal(perturb.perturb(x, "mask", 0.0, perturb.generator(0)), x)


def test_same_seed_same_masks():
    a = perturb.perturb(batch(), "mask", 0.5, perturb.generator(3))
    b = perturb.perturb(batch(), "mask", 0.5, perturb.generator(3))
    c = perturb.perturb(batch(), "mask", 0.5, perturb.generator(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_perturbed_training_differs_from_clean_and_repeats_itself(tmp_path):
    clean = train_run(short_config("C"), tmp_path / "clean")["history"]
    masked = [train_run(short_config("C", perturbation="mask"), tmp_path / f"m{i}")["history"]
              for i in range(2)]
    assert masked[0] == masked[1]
    assert masked[0][0]["train_loss"] != clean[0]["train_loss"]
