"""The declarative rule sets shipped with aesara_cas (one module per topic)."""
