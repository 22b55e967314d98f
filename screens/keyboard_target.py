"""What a screen does with the ChineseKeyboard's and the DigitPad's events (screens/keyboard.py) for the value of
its focused field: the screen says what that value is (``_value``) and what setting it means (``set_value``)."""

from __future__ import annotations


class KeyboardTarget:
    """The keyboards' events (``on_commit``, ``on_delete``, ``on_clear``, the digit pad's ``on_key``) on the
    focused value. Mixed into a screen that defines ``_value`` and ``set_value``."""

    def _value(self) -> str:
        raise NotImplementedError

    def set_value(self, value: str) -> None:
        raise NotImplementedError

    def append(self, text: str) -> None:
        self.set_value(self._value() + text)

    def delete(self) -> None:
        self.set_value(self._value()[:-1])

    def erase(self) -> None:
        self.set_value("")

    def on_digit(self, key: str) -> None:
        if key == "backspace":
            self.delete()
        elif key == "clear":
            self.erase()
        else:
            self.append(key)
