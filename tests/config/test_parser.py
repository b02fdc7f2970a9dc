from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import ConfigError
from moontwist.config.parser import RawConfig, parse_config

from tests.config.files import folder, write


class ParseTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.folder = folder(self)

    def parse(self, text: str, name: str = "moonraker.conf") -> RawConfig:
        return parse_config(write(self.folder, name, text))

    def parse_error(self, text: str) -> str:
        with self.assertRaises(ConfigError) as caught:
            self.parse(text)
        return str(caught.exception)


class CommentTests(ParseTestCase):
    def test_full_line_comments_are_dropped_even_when_indented(self) -> None:
        raw = self.parse("# top\n; also\n[server]\n  # indented\nport: 7125\n")
        self.assertEqual(raw.sections["server"], {"port": "7125"})

    def test_spaces_then_hash_or_semicolon_start_an_inline_comment(self) -> None:
        raw = self.parse("[server]\nhost: 0.0.0.0   # all\nport: 7125 ;web\n")
        self.assertEqual(raw.sections["server"], {"host": "0.0.0.0", "port": "7125"})

    def test_hash_without_a_space_before_it_is_data(self) -> None:
        raw = self.parse("[webcam a]\nstream_url: http://h/#x;y\n")
        self.assertEqual(raw.sections["webcam a"]["stream_url"], "http://h/#x;y")

    def test_tab_before_hash_starts_a_comment(self) -> None:
        raw = self.parse("[server]\nhost: a\t#comment\n")
        self.assertEqual(raw.sections["server"]["host"], "a")

    def test_space_backslash_escapes_lose_the_backslash(self) -> None:
        raw = self.parse("[mqtt]\npassword: a \\#b \\;c\n")
        self.assertEqual(raw.sections["mqtt"]["password"], "a #b ;c")

    def test_backslash_not_after_a_space_is_kept(self) -> None:
        raw = self.parse("[mqtt]\npassword: a\\#b\n")
        self.assertEqual(raw.sections["mqtt"]["password"], "a\\#b")

    def test_percent_is_literal(self) -> None:
        raw = self.parse("[server]\nroute_prefix: 100%(x)s\n")
        self.assertEqual(raw.sections["server"]["route_prefix"], "100%(x)s")


class OptionTests(ParseTestCase):
    def test_colon_and_equals_both_delimit_and_names_are_lower_cased(self) -> None:
        raw = self.parse("[Server]\nHost = a\nPORT: 1\nurl = http://h:80\n")
        self.assertEqual(raw.sections["Server"], {"host": "a", "port": "1", "url": "http://h:80"})

    def test_multi_line_value_joins_stripped_lines_and_skips_comments(self) -> None:
        raw = self.parse(
            """\
            [authorization]
            trusted_clients:
              10.0.0.0/8
                # not a client
              127.0.0.1  # loopback

            cors_domains: a
                b
            """
        )
        self.assertEqual(
            raw.sections["authorization"],
            {"trusted_clients": "\n10.0.0.0/8\n127.0.0.1", "cors_domains": "a\nb"},
        )

    def test_line_indented_no_deeper_than_its_option_starts_a_new_option(self) -> None:
        raw = self.parse("[s]\n  a: 1\n  b: 2\n    more\n")
        self.assertEqual(raw.sections["s"], {"a": "1", "b": "2\nmore"})

    def test_default_section_fills_every_section(self) -> None:
        raw = self.parse("[DEFAULT]\nshared: 1\n[server]\nport: 2\n")
        self.assertEqual(raw.section_names(), ["server"])
        self.assertEqual(raw.options("server"), {"port": "2", "shared": "1"})

    def test_utf8_byte_order_mark_is_ignored(self) -> None:
        path = self.folder / "moonraker.conf"
        path.write_bytes(b"\xef\xbb\xbf[server]\nport: 1\n")
        self.assertEqual(parse_config(path).sections["server"], {"port": "1"})


class DuplicateTests(ParseTestCase):
    def test_duplicate_section_in_one_file_names_file_and_line(self) -> None:
        message = self.parse_error("[server]\n[machine]\n[server]\n")
        self.assertEqual(message, f"Duplicate section [server] in file {self.folder / 'moonraker.conf'}, line 3")

    def test_duplicate_option_in_one_file_names_file_and_line(self) -> None:
        message = self.parse_error("[server]\nport: 1\nPort: 2\n")
        self.assertEqual(
            message, f"Duplicate option 'port' in section [server], file {self.folder / 'moonraker.conf'}, line 3"
        )

    def test_same_section_in_two_files_merges_and_the_later_value_wins(self) -> None:
        write(self.folder, "extra.cfg", "[server]\nport: 2\nhost: b\n")
        raw = self.parse("[server]\nport: 1\n[include extra.cfg]\n")
        self.assertEqual(raw.sections["server"], {"port": "2", "host": "b"})


class ParseErrorTests(ParseTestCase):
    def test_line_without_delimiter_names_file_and_line(self) -> None:
        message = self.parse_error("[server]\nport 7125\n")
        self.assertEqual(
            message,
            "Invalid line 'port 7125': expected '[section]' or 'option: value'"
            f" in file {self.folder / 'moonraker.conf'}, line 2",
        )

    def test_option_before_any_section_is_an_error(self) -> None:
        message = self.parse_error("# header\nport: 1\n")
        self.assertIn("Option 'port' is outside of a section", message)
        self.assertIn("line 2", message)

    def test_undecodable_file_is_an_error_naming_it(self) -> None:
        path = self.folder / "moonraker.conf"
        path.write_bytes(b"[server]\nhost: \xff\n")
        with self.assertRaises(ConfigError) as caught:
            parse_config(path)
        self.assertIn(f"Error Reading Config: '{path}'", str(caught.exception))


class IncludeTests(ParseTestCase):
    def test_relative_include_is_found_next_to_the_including_file(self) -> None:
        write(self.folder, "sub/power.cfg", "[include more/*.cfg]\n[power a]\ntype: gpio\n")
        write(self.folder, "sub/more/b.cfg", "[power b]\ntype: rf\n")
        raw = self.parse("[server]\n[include sub/power.cfg]\n")
        self.assertEqual(raw.section_names(), ["server", "power b", "power a"])

    def test_glob_matches_are_read_in_sorted_order_depth_first(self) -> None:
        write(self.folder, "inc/b.cfg", "[server]\nport: 2\n[from_b]\n")
        write(self.folder, "inc/a.cfg", "[server]\nport: 1\n[include nested.conf]\n")
        write(self.folder, "inc/nested.conf", "[from_nested]\n")
        raw = self.parse("[server]\nport: 0\n[include inc/*.cfg]\n[after]\n")
        self.assertEqual(raw.sections["server"], {"port": "2"})
        self.assertEqual(raw.section_names(), ["server", "from_nested", "from_b", "after"])
        self.assertEqual(
            [path.name for path in raw.files], ["moonraker.conf", "a.cfg", "nested.conf", "b.cfg"]
        )

    def test_text_after_an_include_overrides_the_included_files(self) -> None:
        write(self.folder, "inc.cfg", "[machine]\nprovider: none\n")
        raw = self.parse("[server]\n[include inc.cfg]\n[machine]\nprovider: systemd_cli\n")
        self.assertEqual(raw.sections["machine"], {"provider": "systemd_cli"})

    def test_absolute_include_globs_its_last_component(self) -> None:
        write(self.folder, "elsewhere/x.cfg", "[x]\n")
        raw = self.parse(f"[server]\n[include {self.folder / 'elsewhere'}/*.cfg]\n")
        self.assertEqual(raw.section_names(), ["server", "x"])

    def test_include_pseudo_section_is_not_kept(self) -> None:
        write(self.folder, "x.cfg", "[x]\n")
        raw = self.parse("[server]\n[include x.cfg]\n")
        self.assertNotIn("include x.cfg", raw.sections)

    def test_include_without_match_is_an_error(self) -> None:
        message = self.parse_error("[server]\n[include missing/*.cfg]\n")
        self.assertEqual(
            message,
            f"No files matching include directive [include missing/*.cfg] in file {self.folder / 'moonraker.conf'},"
            " line 2",
        )

    def test_include_with_empty_pattern_is_an_error(self) -> None:
        message = self.parse_error("[server]\n[include  ]\n")
        self.assertIn("Invalid include directive: [include  ]", message)

    def test_include_recursion_is_an_error_naming_the_directive(self) -> None:
        write(self.folder, "loop.cfg", "[loop]\n[include moonraker.conf]\n")
        message = self.parse_error("[server]\n[include loop.cfg]\n")
        self.assertEqual(
            message,
            f"Recursive include directive detected, {self.folder / 'moonraker.conf'}: [include moonraker.conf]"
            f" in file {self.folder / 'loop.cfg'}, line 2",
        )

    def test_option_right_after_an_include_is_an_error(self) -> None:
        write(self.folder, "x.cfg", "[x]\n")
        message = self.parse_error("[server]\n[include x.cfg]\nport: 1\n")
        self.assertIn("Option 'port' after [include x.cfg] is outside of a section", message)

    def test_error_in_included_file_names_that_file_and_line(self) -> None:
        included = write(self.folder, "bad.cfg", "[bad]\n\nnot an option\n")
        message = self.parse_error("[server]\n[include bad.cfg]\n")
        self.assertTrue(message.endswith(f"in file {included}, line 3"), message)

    def test_file_sections_list_each_file_in_parse_order(self) -> None:
        write(self.folder, "x.cfg", "[machine]\n[server]\nport: 1\n")
        raw = self.parse("[server]\n[include x.cfg]\n[webcam]\n")
        self.assertEqual(
            [(path.name, sections) for path, sections in raw.file_sections()],
            [("moonraker.conf", ["server", "webcam"]), ("x.cfg", ["server", "machine"])],
        )
