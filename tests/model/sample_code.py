"""A small module of real-looking Python that several tests complete, rewrite and repeat."""

WALKER = '''import os


def walk(root, pattern="*"):
    """Yield the files under root."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            yield os.path.join(dirpath, name)


def count(root):
    """How many files are under root."""
    total = 0
    for path in walk(root):
        total += 1
    return total
'''
