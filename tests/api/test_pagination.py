"""CDS pagination (standards/_pagination.md): defaults, limits, links and meta."""

import pytest

from tests.conftest import assert_cdr_error

pytestmark = [pytest.mark.urls("tests.api.urls"), pytest.mark.django_db]
BASE = "https://bank.example.test/cds-au/v1/test/numbers"


def get(api, query):
    return api("get", f"/cds-au/v1/test/numbers?{query}", x_v="3")


def test_defaults_are_page_1_of_25_with_next_and_last(api):
    body = get(api, "count=60").json()
    assert body == {
        "data": {"numbers": [{"number": n} for n in range(1, 26)]},
        "links": {
            "self": f"{BASE}?count=60",
            "first": f"{BASE}?count=60&page=1&page-size=25",
            "next": f"{BASE}?count=60&page=2&page-size=25",
            "last": f"{BASE}?count=60&page=3&page-size=25",
        },
        "meta": {"totalRecords": 60, "totalPages": 3},
    }


def test_middle_page_has_all_four_links(api):
    body = get(api, "count=60&page=2&page-size=20").json()
    assert [row["number"] for row in body["data"]["numbers"]] == list(range(21, 41))
    assert body["links"] == {
        "self": f"{BASE}?count=60&page=2&page-size=20",
        "first": f"{BASE}?count=60&page=1&page-size=20",
        "prev": f"{BASE}?count=60&page=1&page-size=20",
        "next": f"{BASE}?count=60&page=3&page-size=20",
        "last": f"{BASE}?count=60&page=3&page-size=20",
    }
    assert body["meta"] == {"totalRecords": 60, "totalPages": 3}


def test_last_page_has_first_and_prev_but_no_next(api):
    body = get(api, "count=60&page=3").json()
    assert [row["number"] for row in body["data"]["numbers"]] == list(range(51, 61))
    assert set(body["links"]) == {"self", "first", "prev", "last"}


def test_single_page_needs_no_prev_or_next(api):
    body = get(api, "count=3").json()
    assert set(body["links"]) == {"self", "first", "last"}
    assert body["meta"] == {"totalRecords": 3, "totalPages": 1}


def test_empty_set_has_zero_pages_and_only_self(api):
    body = get(api, "count=0").json()
    assert body == {
        "data": {"numbers": []},
        "links": {"self": f"{BASE}?count=0"},
        "meta": {"totalRecords": 0, "totalPages": 0},
    }


def test_page_size_1000_is_allowed(api):
    response = get(api, "count=1001&page-size=1000")
    assert response.status_code == 200
    assert len(response.json()["data"]["numbers"]) == 1000


@pytest.mark.parametrize("size", ["1001", "99999999999"])
def test_page_size_over_1000_is_invalid_page_size(api, size):
    assert_cdr_error(get(api, f"page-size={size}"), 400, "Field/InvalidPageSize")


def test_huge_page_is_invalid_page(api):
    assert_cdr_error(get(api, "count=5&page=99999999999"), 422, "Field/InvalidPage", detail="1")


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.5", "", "1e3", "\uff11"])
def test_non_positive_page_size_is_invalid_field(api, bad):
    assert_cdr_error(get(api, f"page-size={bad}"), 400, "Field/Invalid", detail="page-size")


@pytest.mark.parametrize("bad", ["0", "-1", "x", ""])
def test_non_positive_page_is_invalid_field(api, bad):
    assert_cdr_error(get(api, f"page={bad}"), 400, "Field/Invalid", detail="page")


def test_page_past_the_last_is_422_with_the_last_page_number(api):
    error = assert_cdr_error(get(api, "count=60&page=4"), 422, "Field/InvalidPage", detail="3")
    assert error["title"] == "Invalid Page"


def test_page_2_of_an_empty_set_is_invalid_page_zero(api):
    assert_cdr_error(get(api, "count=0&page=2"), 422, "Field/InvalidPage", detail="0")


def test_repeated_page_parameter_is_rejected(api):
    assert_cdr_error(get(api, "page=1&page=2"), 400, "Field/Invalid", detail="page")


# When the count runs ------------------------------------------------------------------------
class _Rows(list):
    """A list that records which slices were read, standing in for a queryset."""

    def __init__(self, n):
        super().__init__(range(1, n + 1))
        self.reads = []

    def __getitem__(self, key):
        if isinstance(key, slice):
            self.reads.append((key.start, key.stop))
        return super().__getitem__(key)


def _paginate(query, rows, counted):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from bank.api.pagination import CdrPagination

    def count():
        counted.append(True)
        return len(rows)

    pagination = CdrPagination()
    page = pagination.paginate_queryset(
        rows, Request(APIRequestFactory().get(f"/x?{query}")), count=count)
    return pagination, page


@pytest.mark.parametrize("n", [0, 1, 24])
def test_a_short_first_page_is_the_count_and_nothing_is_counted(n):
    counted = []
    pagination, page = _paginate("", _Rows(n), counted)
    assert page == list(range(1, n + 1))
    assert (pagination.total_records, pagination.total_pages) == (n, 1 if n else 0)
    assert counted == []


@pytest.mark.parametrize(("n", "pages"), [(25, 1), (26, 2), (100_000, 4000)])
def test_a_full_first_page_is_counted(n, pages):
    counted = []
    pagination, page = _paginate("", _Rows(n), counted)
    assert page == list(range(1, 26))
    assert (pagination.total_records, pagination.total_pages) == (n, pages)
    assert counted == [True]


def test_a_later_page_is_counted_before_any_row_is_read():
    from bank.api import errors

    rows, counted = _Rows(60), []
    with pytest.raises(errors.InvalidPageError):
        _paginate("page=4", rows, counted)
    assert counted == [True] and rows.reads == []  # refused before an offset was read
    pagination, page = _paginate("page=3", rows, counted)
    assert page == list(range(51, 61)) and rows.reads == [(50, 75)]
    assert (pagination.total_records, pagination.total_pages) == (60, 3)
