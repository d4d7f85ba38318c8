"""DuckDB SQL to Spark SQL: the pipeline's SQL models, written once in DuckDB's dialect, run on Spark.

sqlglot does the dialect translation; before it generates Spark SQL this module rewrites the constructs whose
translation would compile but change the answer, or not compile at all:

DuckDB -> what sqlglot alone gives -> the rewrite (DuckDB's answer):

- ``date_diff('year', a, b)`` counts year boundaries crossed; sqlglot's ``datediff(YEAR, a, b)`` counts whole years
  elapsed on Spark -> ``year(b) - year(a)``. ``'month'`` likewise -> ``(year(b) - year(a)) * 12 + month(b) -
  month(a)``; ``'day'`` -> ``datediff(b, a)``.
- ``list(x ORDER BY y)``: sqlglot gives ``collect_list(x)``, losing the order ->
  ``transform(array_sort(collect_list(struct(y, x))), s -> s.x)``. ``list(x)`` keeps nulls, ``collect_list`` drops
  them -> ``transform(collect_list(struct(x)), s -> s.x)``.
- ``a / b`` is always DOUBLE in DuckDB; Spark divides by a decimal literal (``/ 365.25``) in DECIMAL, rounded to six
  decimals -> ``cast(a as double) / b``.
- ``len(<list>)`` becomes ``length`` (string length) -> ``size``; ``list_intersect`` / ``list_position`` pass through
  (no such Spark functions) -> ``array_intersect`` / ``array_position``; ``d +/- to_days(n)`` -> ``date_add`` /
  ``date_sub``; ``quantile_cont(x, q)`` (linear interpolation) -> ``percentile(x, q)`` (exact, linear interpolation);
  ``arg_min(x, (a, b))`` -> ``min_by(x, struct(a, b))``; ``hash(k) % n`` (DuckDB's hash is unsigned, Spark's signed)
  -> ``pmod(hash(k), n)``.
- ``regexp_full_match(x, 'p')`` (no Spark function) -> ``x RLIKE '^(?:p)$'``.
- ``$name`` parameters -> the bound value as a typed literal (dates, doubles, lists); ``schema.table`` -> the table's
  location (``parquet.`<path>```).

Anything the rewrites do not know and Spark cannot run fails loudly on Spark (an analysis error naming the model);
``tests/spark`` runs every SQL model on both engines and compares the results, so a silent change of meaning in a
model is caught there. ``ORDER BY`` defaults are made explicit by sqlglot (DuckDB sorts nulls last, Spark first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import sqlglot
from sqlglot import exp

SCHEMAS = ("raw", "staging", "intermediate", "marts", "qa")


class TranspileError(ValueError):
    """A DuckDB construct with no faithful Spark translation here (the message names it)."""


def literal(value: Any) -> exp.Expression:
    """A bound parameter's value as a typed SQL literal (the type DuckDB would give the bound value)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        # DuckDB binds a Python float as DOUBLE; a bare 30.4375 would be a DECIMAL literal
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.build("double"))
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("timestamp"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        items = [literal(v) for v in value]
        if not items:
            return exp.cast(exp.Array(expressions=[]), exp.DataType.build("array<string>", dialect="spark"))
        return exp.Array(expressions=items)
    raise TranspileError(f"cannot bind a parameter of type {type(value).__name__}: {value!r}")


def _bind(node: exp.Expression, params: Mapping[str, Any]) -> exp.Expression:
    if isinstance(node, exp.Placeholder | exp.Parameter):
        name = node.name if isinstance(node, exp.Placeholder) else node.this.name
        if name not in params:
            raise TranspileError(f"parameter ${name} not provided")
        return literal(params[name])
    return node


def _unit(node: exp.Expression) -> str:
    unit = node.args.get("unit")
    return (unit.name if unit is not None else "day").lower().strip("'")


def _date_diff(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.DateDiff):
        return node
    end, start, unit = node.this, node.expression, _unit(node)

    def year(e: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this="year", expressions=[e.copy()])

    def month(e: exp.Expression) -> exp.Expression:
        return exp.Anonymous(this="month", expressions=[e.copy()])

    if unit in ("day", "days", "d"):
        return exp.Anonymous(this="datediff", expressions=[end.copy(), start.copy()])
    if unit in ("year", "years", "y", "yr", "yrs"):
        return exp.paren(exp.Sub(this=year(end), expression=year(start)), copy=False)
    if unit in ("month", "months", "mon", "mons"):
        years = exp.Mul(
            this=exp.paren(exp.Sub(this=year(end), expression=year(start))), expression=exp.Literal.number(12)
        )
        return exp.paren(exp.Add(this=years, expression=exp.Sub(this=month(end), expression=month(start))))
    raise TranspileError(f"date_diff('{unit}', ...) has no Spark translation here (use 'day', 'month' or 'year')")


def _list_aggregate(node: exp.Expression) -> exp.Expression:
    """``list(x [ORDER BY y, ...])`` with DuckDB's meaning: nulls kept, in the stated order."""
    if not isinstance(node, exp.ArrayAgg):
        return node
    inner = node.this
    order: list[exp.Ordered] = []
    if isinstance(inner, exp.Order):
        order = list(inner.expressions)
        inner = inner.this
    for o in order:
        if o.args.get("desc") or o.args.get("nulls_first"):
            raise TranspileError("list(... ORDER BY ... DESC / NULLS FIRST) has no Spark translation here")
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=o.this.copy()) for i, o in enumerate(order)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=inner.copy()))
    collected: exp.Expression = exp.Anonymous(this="collect_list", expressions=[exp.Struct(expressions=fields)])
    if order:
        # array_sort orders structs field by field, nulls last: DuckDB's ascending, nulls-last ORDER BY
        collected = exp.Anonymous(this="array_sort", expressions=[collected])
    lam = exp.Lambda(this=exp.column("v", table="s"), expressions=[exp.to_identifier("s")])
    return exp.Anonymous(this="transform", expressions=[collected, lam])


_ARRAY_FUNCTIONS = {"list_intersect": "array_intersect", "list_position": "array_position"}
_ARRAY_VALUED = (exp.Array, exp.ArrayIntersect, exp.ArrayDistinct, exp.ArraySort, exp.Split)


def _double_division(tree: exp.Expression) -> exp.Expression:
    """DuckDB's ``/`` is always DOUBLE division (``7 / 365.25`` too); Spark divides a DECIMAL literal in DECIMAL
    (six decimals), so every dividend is cast to DOUBLE (in place, nested divisions included)."""
    for div in list(tree.find_all(exp.Div)):
        div.set("this", exp.cast(div.this, exp.DataType.build("double"), copy=False))
    return tree


def _functions(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Length):
        arg = node.this
        is_array = (
            isinstance(arg, _ARRAY_VALUED)
            or (isinstance(arg, exp.Cast) and arg.to.is_type("array"))
            or (isinstance(arg, exp.Anonymous) and arg.name.lower() in _ARRAY_FUNCTIONS.values())
        )
        if is_array:
            return exp.Anonymous(this="size", expressions=[arg.copy()])
    if isinstance(node, exp.Add | exp.Sub) and _is_to_days(node.expression):
        days = _to_days_argument(node.expression).copy()
        name = "date_add" if isinstance(node, exp.Add) else "date_sub"
        return exp.Anonymous(this=name, expressions=[node.this.copy(), days])
    if _is_to_days(node):
        raise TranspileError("to_days(n) is only translated as date + to_days(n) or date - to_days(n)")
    if isinstance(node, exp.Quantile | exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        q = node.args.get("quantile") or node.args.get("expression")
        if q is None:
            raise TranspileError(f"{node.sql('duckdb')}: no quantile")
        return exp.Anonymous(this="percentile", expressions=[node.this.copy(), q.copy()])
    if (
        isinstance(node, exp.Mod)
        and isinstance(node.this.unnest(), exp.Anonymous | exp.Func)
        and (
            node.this.unnest().sql_name().lower() == "hash" or getattr(node.this.unnest(), "name", "").lower() == "hash"
        )
    ):
        # DuckDB's hash() is unsigned, Spark's signed: pmod keeps ``hash(...) % n`` in 0 .. n-1
        return exp.Anonymous(this="pmod", expressions=[node.this.unnest().copy(), node.expression.copy()])
    if isinstance(node, exp.ArgMin | exp.ArgMax) and isinstance(node.expression, exp.Tuple):
        fields = [
            exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=e.copy())
            for i, e in enumerate(node.expression.expressions)
        ]
        node.set("expression", exp.Struct(expressions=fields))
    return node


def _is_to_days(node: exp.Expression | None) -> bool:
    to_days = getattr(exp, "ToDays", None)
    if to_days is not None and isinstance(node, to_days):
        return True
    return isinstance(node, exp.Anonymous) and node.name.lower() == "to_days"


def _to_days_argument(node: exp.Expression) -> exp.Expression:
    return node.expressions[0] if isinstance(node, exp.Anonymous) else node.this


def _array_functions(node: exp.Expression) -> exp.Expression:
    full_match = getattr(exp, "RegexpFullMatch", None)
    if full_match is not None and isinstance(node, full_match):
        subject, pattern = node.this, node.expression
    elif isinstance(node, exp.Anonymous) and node.name.lower() == "regexp_full_match":
        subject, pattern = node.expressions[0], node.expressions[1]
    else:
        subject = pattern = None
    if subject is not None and pattern is not None:
        if not isinstance(pattern, exp.Literal) or not pattern.is_string:
            raise TranspileError("regexp_full_match needs a literal pattern to be translated")
        anchored = exp.Literal.string(f"^(?:{pattern.this})$")
        return exp.RegexpLike(this=subject.copy(), expression=anchored)
    if isinstance(node, exp.Anonymous) and node.name.lower() in _ARRAY_FUNCTIONS:
        return exp.Anonymous(this=_ARRAY_FUNCTIONS[node.name.lower()], expressions=[e.copy() for e in node.expressions])
    return node


def _tables(locate: Callable[[str], str]) -> Callable[[exp.Expression], exp.Expression]:
    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.args.get("db") is not None and node.db in SCHEMAS:
            alias = node.args.get("alias")
            table = exp.Table(this=exp.to_identifier(locate(f"{node.db}.{node.name}"), quoted=True))
            table.set("db", exp.to_identifier("parquet"))
            if alias is None:
                # keep qualified column references (``marts.analytic_cohort.x``) resolvable: alias by table name
                alias = exp.TableAlias(this=exp.to_identifier(node.name))
            table.set("alias", alias)
            return table
        return node

    return rewrite


def to_spark(
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    locate: Callable[[str], str] | None = None,
    pretty: bool = False,
) -> str:
    """Translate one DuckDB statement to Spark SQL with the bound ``params`` inlined as literals.

    ``locate`` maps a ``schema.table`` name to its Parquet location (``parquet.`<location>```); without it table names
    are left as they are.
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise TranspileError(f"DuckDB SQL does not parse: {exc}") from exc
    bound = params or {}
    tree = tree.transform(lambda n: _bind(n, bound))
    tree = tree.transform(_date_diff)
    tree = tree.transform(_list_aggregate)
    tree = tree.transform(_array_functions)
    tree = _double_division(tree)
    tree = tree.transform(_functions)
    if locate is not None:
        tree = tree.transform(_tables(locate))
    return tree.sql(dialect="spark", pretty=pretty)
