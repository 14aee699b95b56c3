"""Text and URL rules shared by every stage: decoding, cleaning, comparison keys.

May import only the standard library, third-party text libraries and ``feeds.errors``.
"""
