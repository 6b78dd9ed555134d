"""What the seed "Siamese Network Architecture Update" promised its callers, held in one place for the tests."""

#: the keys get_architecture_metadata() returned in the seed; a checkpoint's metadata must keep all of them
SEED_METADATA_KEYS = {
    "architecture_type",
    "embedding_dim",
    "input_dim",
    "clip_dim",
    "cnn_dim",
    "iqa_dim",
    "mlp_hidden_dims",
    "total_parameters",
    "architecture_summary",
    "use_layernorm",
    "dropout",
}
