"""The documentation; ``ontology/`` (written by ``ilrs docs``, served at ``/ontology/``) ships as ``ilrs.docs``."""
