"""The Siamese ranker: its config, torch model, NumPy scorer, checkpoints, training and which model ranks."""
