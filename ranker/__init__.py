"""PhotoTriage core: images, features, Siamese ranking, catalog and culling pipeline (no Qt)."""
