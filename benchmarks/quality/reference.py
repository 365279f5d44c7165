"""Reference implementations of the quality set (benchmarks/specs), one per spec.

They prove the set itself is right: tests/test_quality_set.py runs each against its spec's examples and its
held-out cases in the sandbox. The generator never sees this file.
"""

from __future__ import annotations

import csv
import json
import math
import string
import urllib.parse
from pathlib import Path
from typing import Any


def reverse_words(text: str) -> str:
    """Reverse the order of the words in a sentence."""
    return " ".join(reversed(text.split()))


def count_vowels(text: str) -> int:
    """Count the vowels in a text."""
    return sum(1 for char in text.lower() if char in "aeiou")


def capitalize_words(text: str) -> str:
    """Capitalize every word."""
    return " ".join(word.capitalize() for word in text.split(" "))


def is_palindrome(text: str) -> bool:
    """Whether a text reads the same backwards, letters and digits only."""
    kept = [char.lower() for char in text if char.isalnum()]
    return kept == kept[::-1]


def remove_punctuation(text: str) -> str:
    """Remove ASCII punctuation."""
    return text.translate(str.maketrans("", "", string.punctuation))


def snake_to_camel(name: str) -> str:
    """snake_case to lowerCamelCase."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def count_words(text: str) -> int:
    """Count whitespace-separated words."""
    return len(text.split())


def initials(full_name: str) -> str:
    """Upper-case initials."""
    return "".join(name[0].upper() for name in full_name.split())


def mean(values: list[float]) -> float:
    """Arithmetic mean."""
    if not values:
        raise ValueError("values must not be empty")
    return sum(values) / len(values)


def dedupe(items: list[int]) -> list[int]:
    """Remove duplicates, keeping order."""
    return list(dict.fromkeys(items))


def clamp(value: float, low: float, high: float) -> float:
    """Limit value to [low, high]."""
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(high, value))


def chunk_list(items: list[int], size: int) -> list[list[int]]:
    """Consecutive chunks."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[start : start + size] for start in range(0, len(items), size)]


def invert_dict(mapping: dict[str, str]) -> dict[str, str]:
    """Swap keys and values."""
    return {value: key for key, value in mapping.items()}


def top_n(values: list[int], n: int) -> list[int]:
    """The n largest, largest first."""
    if n < 0:
        raise ValueError("n must not be negative")
    return sorted(values, reverse=True)[:n]


def median(values: list[float]) -> float:
    """The median."""
    if not values:
        raise ValueError("values must not be empty")
    ordered, middle = sorted(values), len(values) // 2
    return ordered[middle] if len(values) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def sum_by_key(records: list[dict], key: str, field: str) -> dict:
    """Sum a field per key."""
    totals: dict = {}
    for record in records:
        totals[record[key]] = totals.get(record[key], 0) + record[field]
    return totals


def read_first_line(path: str) -> str:
    """First line of a file."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return handle.readline().rstrip("\r\n")


def count_words_in_file(path: str) -> int:
    """Words in a file."""
    return len(Path(path).read_text(encoding="utf-8").split())


def file_extension(path: str) -> str:
    """Extension, lower case, no dot."""
    return Path(path).suffix.lower().lstrip(".")


def csv_column(path: str, column: str) -> list[str]:
    """One column of a CSV file."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if column not in (reader.fieldnames or []):
            raise KeyError(column)
        return [row[column] for row in reader]


def append_line(path: str, line: str) -> int:
    """Append a line; the number of lines after."""
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return len(Path(path).read_text(encoding="utf-8").splitlines())


def read_json_key(path: str, key: str) -> Any:
    """A value from a JSON object file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))[key]


def file_size(path: str) -> int:
    """Size in bytes."""
    return Path(path).stat().st_size


def parse_retry_after(value: str) -> int:
    """Retry-After in seconds."""
    text = value.strip()
    if not text.isdigit():
        raise ValueError(f"not a whole number of seconds: {value!r}")
    return int(text)


def bearer_auth_header(token: str) -> dict[str, str]:
    """Authorization header."""
    if not token:
        raise ValueError("token must not be empty")
    return {"Authorization": f"Bearer {token}"}


def parse_link_header(header: str) -> dict[str, str]:
    """rel -> URL from a Link header."""
    links: dict[str, str] = {}
    for part in filter(None, (item.strip() for item in header.split(","))):
        url, _, params = part.partition(";")
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "rel":
                links[value.strip('"')] = url.strip().strip("<>")
    return links


def status_category(code: int) -> str:
    """The class of an HTTP status code."""
    if not 100 <= code <= 599:
        raise ValueError(f"not an HTTP status code: {code}")
    return ["informational", "success", "redirection", "client error", "server error"][code // 100 - 1]


def join_url(base: str, path: str) -> str:
    """base + one slash + path."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def parse_query_string(query: str) -> dict[str, str]:
    """Decode a query string; the last value wins."""
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))


def fizzbuzz(n: int) -> str:
    """FizzBuzz."""
    return "Fizz" * (n % 3 == 0) + "Buzz" * (n % 5 == 0) or str(n)


def is_prime(n: int) -> bool:
    """Primality."""
    return n > 1 and all(n % divisor for divisor in range(2, math.isqrt(n) + 1))


def factorial(n: int) -> int:
    """n!."""
    if n < 0:
        raise ValueError("n must not be negative")
    return math.factorial(n)


def gcd(a: int, b: int) -> int:
    """Greatest common divisor."""
    return math.gcd(a, b)


def celsius_to_fahrenheit(celsius: float) -> float:
    """Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


def is_leap_year(year: int) -> bool:
    """Gregorian leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def digit_sum(n: int) -> int:
    """Sum of decimal digits."""
    return sum(int(digit) for digit in str(abs(n)))
