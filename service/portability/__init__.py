"""Data portability: importing comments from WordPress, Disqus and Isso, and exporting them.

The readers (wordpress.py, disqus.py, isso.py) turn a source file into `SourceComment`
records; importer.py runs an import (batches.py stores each batch, replies.py links the
replies at the end); exporter.py writes everything back out. The CLI only wires these together.
"""
