from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config.secrets import read_secrets

from tests.config.files import folder, write


class ReadSecretsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.data = folder(self)

    def test_json_object_is_used_as_is(self) -> None:
        write(self.data, "moonraker.secrets", '{"home": {"token": "abc", "port": 8123}}')
        self.assertEqual(read_secrets(self.data), ({"home": {"token": "abc", "port": 8123}}, []))

    def test_ini_sections_become_dicts_of_strings(self) -> None:
        write(self.data, "moonraker.secrets", "[mqtt]\nUsername: bob\npassword = pa%ss\n")
        self.assertEqual(read_secrets(self.data), ({"mqtt": {"username": "bob", "password": "pa%ss"}}, []))

    def test_json_that_is_not_an_object_is_a_warning(self) -> None:
        path = write(self.data, "moonraker.secrets", "[1, 2]")
        values, warnings = read_secrets(self.data)
        self.assertEqual(values, {})
        self.assertEqual(
            warnings, [f"[secrets]: option 'secrets_path', top level item in json file '{path}' must be an Object."]
        )

    def test_neither_json_nor_ini_is_a_warning(self) -> None:
        path = write(self.data, "moonraker.secrets", "just words\n")
        self.assertEqual(
            read_secrets(self.data),
            ({}, [f"[secrets]: option 'secrets_path', invalid file format, must be json or ini: '{path}'"]),
        )

    def test_missing_file_means_no_secrets_and_no_warning(self) -> None:
        self.assertEqual(read_secrets(self.data), ({}, []))

    def test_legacy_path_is_used_only_without_the_data_path_file(self) -> None:
        legacy = write(self.data, "old/secrets.ini", "[a]\nb: legacy\n")
        self.assertEqual(read_secrets(self.data, str(legacy)), ({"a": {"b": "legacy"}}, []))
        write(self.data, "moonraker.secrets", '{"a": {"b": "current"}}')
        self.assertEqual(read_secrets(self.data, str(legacy)), ({"a": {"b": "current"}}, []))

    def test_missing_legacy_file_is_a_warning(self) -> None:
        missing = self.data / "nope.ini"
        self.assertEqual(
            read_secrets(self.data, str(missing)),
            ({}, [f"[secrets]: option 'secrets_path', file does not exist: '{missing}'"]),
        )
