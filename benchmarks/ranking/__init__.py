"""Ranking quality: does the best frame of a burst come first?

    python -m benchmarks.ranking [--quick] [--photos DIR] [--phototriage DIR] [--json FILE]

Three evaluations the default was not tuned on, side by side with the baselines:

1. Bursts from photographs the default checkpoint never saw (scikit-image's photos not in
   ranker.default_model.TRAINING_SKIMAGE, the camera samples of ../shared/photos not copied into
   resources/training_photos, any --photos folder minus look-alikes of training photos), degraded by
   benchmarks/degrade.py, a generator written independently of ranker.datasets.synthetic (the training one),
   at two levels, 3-5 frames with one clean frame in a shuffled position. The training generator's
   bursts (ranker.datasets.synthetic.LEVELS) are reported too, as a reference.
2. Spearman/Pearson against human MOS on the held-out test split of CLIVE (ranker.datasets.clive).
3. Real pairs of one scene (../shared/photos/exif_samples/hdr: HDR on should beat HDR off).

Methods: random, Laplacian variance, Tenengrad, PIQE, BRISQUE-style (benchmarks.baselines), the
default checkpoint through the real `rank` pipeline, and CLIP/CNN checkpoints when cached.

top-1: share of bursts whose clean frame is ranked first (ties share the credit).
pairwise: share of (clean, defective) pairs of one burst ordered correctly (ties count half).

One module per part: sources (held-out photos), bursts (the two generators, scored), checkpoints,
metrics, clive_correlation, real_pairs, phototriage_validation, report, and cli (flags and the run).
"""
