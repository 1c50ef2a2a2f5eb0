"""Crosswalks: the versioned mapping of one source's coding onto the vocabulary.

* :mod:`.loader` reads one file line-accurately into the generated classes;
* :mod:`.registry` finds crosswalk files and groups them by source and version;
* :mod:`.transforms` knows the declared derivations (age bands, countries, ...).
"""
