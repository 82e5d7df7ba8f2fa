"""Encryption at rest: the cipher (``cipher``) and the columns it seals (``columns``)."""

from miniport.platform.atrest.cipher import AtRestKeyError, DataCipher

__all__ = ["AtRestKeyError", "DataCipher"]
