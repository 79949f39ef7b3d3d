"""Build the optional native log decoder (everything else is in pyproject.toml).

``distillguard.events._fastdecode`` decodes JSON Lines logs into Arrow column buffers in C (with yyjson,
vendored under src/distillguard/events/native/, MIT licence). It is optional: when it cannot be compiled
(no C compiler), the install still succeeds and the reader uses its pure-Python path, which gives the same
rows, several times slower (``distillguard.events.reader.NATIVE_DECODE`` says which path is in use).
"""

from setuptools import Extension, setup

NATIVE = "src/distillguard/events/native"

setup(
    ext_modules=[
        Extension(
            "distillguard.events._fastdecode",
            sources=[f"{NATIVE}/fastdecode.c", f"{NATIVE}/yyjson.c"],
            include_dirs=[NATIVE],
            define_macros=[("YYJSON_DISABLE_WRITER", "1"), ("YYJSON_DISABLE_UTILS", "1"),
                           ("YYJSON_DISABLE_NON_STANDARD", "1")],
            extra_compile_args=["-O3", "-std=c99"],
            optional=True,  # no compiler: install anyway, read with the pure-Python decoder
        )
    ]
)
