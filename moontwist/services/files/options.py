"""``[file_manager]`` options."""

from __future__ import annotations

from moontwist.config.options import Option, SectionOptions

FILE_MANAGER = SectionOptions(
    "file_manager",
    "The file roots (`gcodes`, `config`, `logs`), uploads, metadata and change notifications.",
    (
        Option("enable_object_processing", "bool", False,
               "Run preprocess-cancellation on uploaded G-code so objects can be excluded."),
        Option("default_metadata_parser_timeout", "float", 20.0,
               "Seconds metadata extraction of one file may take.", above=0.0, ignored=True),
        Option("file_system_observer", "str", "inotify",
               "`inotify` to see changes made outside the API, or `none`."),
        Option("enable_observer_warnings", "bool", True, "Warn when the file system observer fails."),
        Option("enable_inotify_warnings", "bool", True,
               "Deprecated name of `enable_observer_warnings`.", deprecated=True, ignored=True),
        Option("queue_gcode_uploads", "bool", False,
               "An upload with `print=true` that cannot start now is added to the job queue."),
        Option("check_klipper_config_path", "bool", True,
               "Warn when Klipper's config file is outside the `config` root.", ignored=True),
        Option("config_path", "str", None, "Deprecated and ignored: the `config` root is `<data>/config`.",
               deprecated=True, ignored=True),
        Option("enable_config_write_access", "bool", True, "Whether clients may write the `config` root."),
        Option("log_path", "str", None, "Deprecated and ignored: the `logs` root is `<data>/logs`.",
               deprecated=True, ignored=True),
    ),
)
