"""latentvj: a desktop video synthesizer whose instrument is a generator network's latent space."""

__version__ = "0.1.0"
