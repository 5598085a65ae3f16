#!/usr/bin/env python3
"""Golden fixtures for ember's chat-template engine (tests/lm/chat_template_golden_test.cpp).

Renders every template in tests/lm/fixtures/chat_templates/*.jinja for a set of
conversations through transformers' own path, tokenizer.apply_chat_template(...,
tokenize=False), on a tiny in-memory tokenizer that carries the model's special tokens.
Also renders small single-feature templates (jinja_semantics) with the jinja2
environment that transformers builds. Writes <name>.cases.json next to the templates.

Needs: pip install -r scripts/requirements-fixtures.txt
"""
import copy
import json
import pathlib
import sys

import jinja2
import transformers
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast
from transformers.utils.chat_template_utils import _compile_jinja_template

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "lm" / "fixtures" / "chat_templates"

# Special tokens as the models' tokenizer_config.json files declare them.
SPECIAL_TOKENS = {
    "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "qwen3_6": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llama3_style": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral_style": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current local time in a time zone — returns \"HH:MM\".",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string"}},
            "required": ["timezone"],
        },
    },
}
TOOLS = [WEATHER_TOOL, TIME_TOOL]

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
USER = {"role": "user", "content": "What is the capital of France?"}


def call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


CONVERSATIONS = {
    "user_only": ([USER], None),
    "system_user": ([SYSTEM, USER], None),
    "multi_turn": (
        [
            SYSTEM,
            USER,
            {"role": "assistant", "content": "The capital of France is Paris."},
            {"role": "user", "content": "And of Germany?\n  Answer briefly.  "},
        ],
        None,
    ),
    "reasoning_field": (
        [
            USER,
            {"role": "assistant", "content": "Paris.", "reasoning_content": "\nThe user asks about France.\n"},
            {"role": "user", "content": "Thanks! And Italy?"},
            {"role": "assistant", "content": "Rome.", "reasoning_content": "Italy -> Rome."},
        ],
        None,
    ),
    "think_in_content": (
        [
            USER,
            {"role": "assistant", "content": "<think>\nFrance... Paris.\n</think>\n\nParis."},
            {"role": "user", "content": "Sure?"},
        ],
        None,
    ),
    "tools_defined": ([SYSTEM, {"role": "user", "content": "Weather in Paris?"}], TOOLS),
    "tool_call_dict_args": (
        [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [call("a1b2c3d4e", "get_weather", {"city": "Paris", "days": 2, "unit": "celsius"})]},
            {"role": "tool", "tool_call_id": "a1b2c3d4e", "content": "{\"temperature\": 21.5, \"sky\": \"clear\"}"},
            {"role": "assistant", "content": "It is 21.5 °C and clear in Paris."},
        ],
        TOOLS,
    ),
    "tool_call_string_args": (
        [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [call("f9e8d7c6b", "get_weather", "{\"city\": \"Paris\"}")]},
            {"role": "tool", "tool_call_id": "f9e8d7c6b", "content": "sunny"},
        ],
        TOOLS,
    ),
    "parallel_tool_results": (
        [
            SYSTEM,
            {"role": "user", "content": "Weather and time in Tokyo?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    call("tool00001", "get_weather", {"city": "Tokyo"}),
                    call("tool00002", "get_time", {"timezone": "Asia/Tokyo"}),
                ],
            },
            {"role": "tool", "tool_call_id": "tool00001", "content": "rain, 18C"},
            {"role": "tool", "tool_call_id": "tool00002", "content": "21:04"},
            {"role": "assistant", "content": "Rainy, 18C; it is 21:04."},
            {"role": "user", "content": "Thanks."},
        ],
        TOOLS,
    ),
    # OpenAI-style null content: apply_chat_template drops None-valued keys first.
    "content_none_tool_call": (
        [
            {"role": "user", "content": "Time in Lima?"},
            {"role": "assistant", "content": None, "tool_calls": [call("lima00001", "get_time", {"timezone": "America/Lima"})]},
            {"role": "tool", "tool_call_id": "lima00001", "content": "09:15", "name": None},
        ],
        TOOLS,
    ),
    "non_ascii": (
        [
            {"role": "system", "content": "你是一个乐于助人的助手。"},
            {"role": "user", "content": "東京の天気は？ 🌧️ naïve café — «quotes» \"double\" 'single' \\ back\tslash"},
            {"role": "assistant", "content": "雨です ☔ (ümlaut, ß, 한국어)"},
            {"role": "user", "content": "😀👍🏽 emoji with modifiers"},
        ],
        None,
    ),
    "multimodal_parts": (
        [
            {"role": "user", "content": [{"type": "image", "image": "file.png"}, {"type": "text", "text": "What is in this picture?"}]},
        ],
        None,
    ),
    "bad_role": ([USER, {"role": "narrator", "content": "Meanwhile..."}], None),
    "not_alternating": ([USER, {"role": "user", "content": "Hello again"}], None),
}

# Which conversations each template gets (multimodal parts only where the template handles them).
SKIP = {
    "qwen3": {"multimodal_parts"},
    "llama3_style": {"multimodal_parts"},
    "mistral_style": {"multimodal_parts"},
}

VARIANTS = [
    {"add_generation_prompt": True, "kwargs": {}},
    {"add_generation_prompt": False, "kwargs": {}},
    {"add_generation_prompt": True, "kwargs": {"enable_thinking": False}},
]


def make_tokenizer(special):
    vocab = {token: i for i, token in enumerate(sorted(set(special.values()) | {"<unk>"}))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=backend, **special)


def render_template(name, source):
    tokenizer = make_tokenizer(SPECIAL_TOKENS[name])
    tokenizer.chat_template = source
    cases = []
    for conversation, (messages, tools) in CONVERSATIONS.items():
        if conversation in SKIP.get(name, set()):
            continue
        for variant in VARIANTS:
            case = {
                "name": f"{conversation}/agp={int(variant['add_generation_prompt'])}"
                + ("/no_thinking" if variant["kwargs"] else ""),
                "messages": messages,
                "tools": tools,
                "add_generation_prompt": variant["add_generation_prompt"],
                "special_tokens": tokenizer.special_tokens_map,
                "kwargs": variant["kwargs"],
            }
            try:
                case["expected"] = tokenizer.apply_chat_template(
                    copy.deepcopy(messages),
                    tools=copy.deepcopy(tools),
                    add_generation_prompt=variant["add_generation_prompt"],
                    tokenize=False,
                    **variant["kwargs"],
                )
            except Exception as error:  # raise_exception, UndefinedError, TypeError, ...
                case["error"] = str(error)
                case["error_type"] = type(error).__name__
            cases.append(case)
    return cases


SEMANTICS_CONTEXT = {
    "d": {"a": 1, "items": 2},
    "n": None,
    "l": [3, 1, 2],
    "s": " Hello World ",
    "f": 2.5,
    "m": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
}

SEMANTICS = [
    # scoping
    "{% for i in [1,2] %}{% if i == 1 %}{% set x = 'a' %}{% endif %}[{{ x }}]{% endfor %}",
    "{% set x = 5 %}{% for i in [1,2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}",
    "{% for i in [1,2] %}{% endfor %}[{{ i }}]",
    "{% macro m(a, b=2) %}[{{ a }}{{ b }}{{ c }}]{% endmacro %}{% set c = 3 %}{{ m(1) }}{{ m(1, b=5) }}{{ m() }}",
    "{% macro f(x) %}{{ x }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, y=3) }}",
    "{% macro outer() %}<{{ inner() }}>{% endmacro %}{% macro inner() %}i{% endmacro %}{{ outer() }}",
    "{% set ns = namespace(a=1, b=[]) %}{% for x in l %}{% set ns.a = ns.a + x %}{% endfor %}{{ ns.a }}",
    "{% with a = 1 %}{{ a }}{% endwith %}[{{ a }}]",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{{ (1,2) }}",
    "{% set x %}hello {{ 1 }}{% endset %}[{{ x }}]{% set y | upper %}abc{% endset %}{{ y }}",
    "{% filter upper %}hello {{ 'x' }}{% endfilter %}",
    # undefined
    "{{ d.x ~ 'a' }}{{ d.x == d.y }}[{{ n.x }}|{{ n['x'] }}]",
    "{{ d.x is iterable }} {{ d.x is sequence }} {{ d.x|length }} {{ d.x|items|list }} {{ 'a' in d.x }}",
    "{{ u is defined }}{{ u is undefined }}{{ d.a is defined }}{{ d.z is defined }}{{ u|default('dflt') }}",
    "{{ 'a' if false }}|{{ 'a' if true else 'b' }}|{{ 1 if n is none else 2 }}",
    # whitespace control
    "  {% if true %}\n  x\n  {% endif %}\n  y",
    "{{ 'x' }}  {% if true %}z{% endif %}",
    "a\n{# c #}\nb",
    "a\n  {# c #}\nb",
    "a  {#- c -#}  b",
    "{%- if true -%}\n  a  \n{%- endif -%}\n b",
    "{{- '  x  ' -}}   {{ 'y' }}",
    "{% if true %}  a  {% endif %}   \n   b",
    "line1\n\n{% if true %}\n    indented\n{% endif %}\n\nend\n",
    "{% for i in range(3) %}\n  {{ i }}\n{% endfor %}\n",
    "{% for i in range(2) +%}\n  {{ i }}\n{%+ endfor %}",
    "x\r\ny\r\n{% if true %}\r\nz{% endif %}\r\n",
    "{% raw %}{{ x }}{% endraw %}",
    "{%- raw -%}  {{ x }}  {%- endraw -%}",
    "\t{% if true %}\tA{% endif %}\n\t\t{%- if true %}B{% endif %}",
    # numbers and printing
    "{{ 1.0 }} {{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1/3 }} {{ 7/7 }} {{ -0.0 }} {{ 2.5e-7 }} {{ 123456.789 }}",
    "{{ 0.1 + 0.2 }} {{ 1e300 * 1e10 }} {{ -1e-320 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }} {{ f }}",
    "{{ -1 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1 + 1.5 }} {{ 10 / 4 }} {{ 7 // 2.0 }} {{ -7.5 % 2 }} {{ 2 ** -1 }}",
    "{{ {'a': 1.5, 'b': [1, 'x', None, True]} }} {{ ('a',) }} {{ \"it's\" }} {{ ['a\\nb', \"'\"] }} {{ n }} {{ true }}",
    "{{ 1 ~ 2 ~ none ~ true }}{{ 'a' + 'b' }}{{ [1] + [2] }}{{ 'ab' * 3 }}{{ 3 * [0] }}",
    "{{ 'a\\tb\\x41\\u00e9\\101\\q' }}",
    # operators
    "{{ not 1 }}{{ not none }}{{ 1 and 2 }}{{ 0 or 'x' }}{{ none or none }}{{ 1 < 2 < 3 }}{{ 3 > 2 > 5 }}{{ 'a' in 'bab' }}{{ 1 not in l }}",
    "{{ 1 == 1.0 }}{{ 1 == true }}{{ [1] == [1] }}{{ (1,) == [1] }}{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}",
    "{{ l[1:] }}{{ l[:-1] }}{{ l[::2] }}{{ l[5:] }}{{ 'hello'[1:3] }}{{ 'hello'[-3:] }}{{ l[::-1] }}{{ l[-1] }}{{ l[7] }}",
    "{{ 'ünï'|length }} {{ 'ünï'[1] }} {{ 'ünï'[::-1] }} {{ '東京'[0] }}",
    # filters
    "{{ d|tojson }} {{ m|tojson(indent=2) }} {{ l|tojson(separators=(',', ':')) }} {{ {'b':1,'a':[]}|tojson(sort_keys=true, indent=1) }}",
    "{{ 'é\u2028\x7f\x01\"\\\\/'|tojson }} {{ 'é😀'|tojson(ensure_ascii=true) }} {{ [1.0, 1e20, -0.5, none, false]|tojson }}",
    "{{ [1, [2, 3]] | tojson(indent='--') }} {{ {}|tojson(indent=2) }} {{ []|tojson(indent=2) }}",
    "{{ [1,2]|first }}{{ []|first }}{{ 'x'|default('y') }}{{ u|default('y') }}{{ none|default('y') }}{{ ''|default('y', true) }}{{ l|last }}",
    "{{ range(3)|list }} {{ [3,1,2]|sort }} {{ {'b':1,'a':2}|dictsort }} {{ l|sort(reverse=true) }} {{ ['B','a','C']|sort }}",
    "{{ 'abc'|list }} {{ ''.join(['a','b']) }} {{ ['a', 1]|join(',') }} {{ m|join(', ', attribute='role') }}",
    "{{ s|trim }}|{{ 'xxaxx'|trim('x') }}|{{ s|upper }}{{ s|lower }}|{{ 'Hello World-foo bar'|title }} {{ 'hELLO'|capitalize }}",
    "{{ m|selectattr('role', 'equalto', 'user')|list }} {{ m|map(attribute='role')|join(',') }} {{ m|rejectattr('role', 'eq', 'user')|map(attribute='content')|list }}",
    "{{ l|select('odd')|list }} {{ l|reject('odd')|list }} {{ ['a', 'b']|map('upper')|list }}",
    "{{ l|length }} {{ l|count }} {{ s|length }} {{ d|length }}",
    "{{ 'x'|upper|lower }}{{ 42|string|length }}{{ '12'|int + 1 }}{{ '3.5'|float }}{{ 3.7|int }}{{ 'abc'|int }}{{ 'abc'|int(7) }} {{ ' 7 '|int }}",
    "{{ l|max }}{{ l|min }}{{ l|sum }}{{ l|unique|list }}{{ l|reverse|list }}{{ 'abc'|reverse }}",
    "{{ 1.5|round }}{{ 2.5|round }}{{ 2.675|round(2) }}{{ 3|round }}{{ 1.23456|round(2, 'floor') }}",
    "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}",
    "{{ '<a href=\"x\">&'|e }}{{ 'x'|safe }}{{ d|items|list }}",
    # tests
    "{{ true is number }} {{ true is integer }} {{ 1 is integer }} {{ 1.0 is float }} {{ none is none }} {{ d is mapping }} {{ l is sequence }} {{ 's' is string }}",
    "{{ false is false }}{{ 0 is false }}{{ true is true }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 2 is in l }}{{ 'a' is lower }}{{ 1 is eq 1 }}",
    "{{ n is iterable }}{{ 5 is iterable }}{{ m is iterable }}{{ 'x' is callable }}",
    # methods
    "{{ 'a b  c'.split() }}{{ 'a,b,,c'.split(',') }}{{ 'a b c'.split(' ', 1) }}{{ ' a b c '.split(None, 1) }}{{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nx\\n'.rstrip('\\n') }}|{{ s.upper() }}{{ s.lower() }}",
    "{{ s.startswith(' He') }}{{ s.endswith('d ') }}{{ s.startswith(('x', ' H')) }}{{ s.replace('l', 'L') }}{{ s.replace('l', 'L', 1) }}{{ 'ab'.replace('', '-') }}",
    "{{ d.keys()|list }}{{ d.values()|list }}{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 5) }}{{ d['items'] }}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}",
    "{{ '{} and {}'.format(1, 'b') }}{{ '{x}'.format(x=3) }}{{ 'abcabc'.find('c') }}{{ 'abcabc'.rfind('c') }}{{ 'abcabc'.count('bc') }}",
    "{{ ''.isdigit() }}{{ '12'.isdigit() }}{{ 'ab'.isalpha() }}{{ 'A'.isupper() }}{{ 'a'.islower() }}{{ \"they're bill's\".title() }}{{ 'ßx'.upper() }}",
    "{{ 'a\\nb\\r\\nc'.splitlines() }}{{ 'prefix-x'.removeprefix('prefix-') }}",
    # loops
    "{% for x in [1,2,3] if x > 1 %}{{ loop.index }}{{ loop.length }}{{ loop.first }}{{ loop.last }}{{ loop.revindex }}{% else %}E{% endfor %}",
    "{% for x in [] %}x{% else %}E{% endfor %}",
    "{% for x in l %}{{ loop.previtem }}-{{ loop.nextitem }}|{% endfor %}",
    "{% for x in l %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}{% for c in 'ab' %}{{ c }}{{ loop.cycle('x', 'y') }}{% endfor %}",
    "{% for x in m %}{% for y in l %}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}",
    "{{ dict(a=1, b=2) }}{{ dict(a=1)|tojson }}{{ namespace(x=1).x }}",
    # errors
    "{{ raise_exception('boom: custom message') }}",
    "{{ u.x }}",
    "{{ d.x.y }}",
    "{{ 'a' + 1 }}",
]


def render_semantics():
    cases = []
    for source in SEMANTICS:
        case = {"template": source, "context": SEMANTICS_CONTEXT}
        try:
            case["expected"] = _compile_jinja_template(source).render(**copy.deepcopy(SEMANTICS_CONTEXT))
        except jinja2.exceptions.TemplateError as error:
            case["error"] = str(error)
            case["error_type"] = type(error).__name__
        except Exception as error:  # TypeError and friends: the C++ side must also fail
            case["error"] = str(error)
            case["error_type"] = type(error).__name__
        cases.append(case)
    return cases


def write(path, payload):
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)


def main():
    versions = {"transformers": transformers.__version__, "jinja2": jinja2.__version__}
    for template in sorted(FIXTURES.glob("*.jinja")):
        name = template.stem
        source = template.read_text(encoding="utf-8")
        write(FIXTURES / f"{name}.cases.json",
              {"template": template.name, "versions": versions, "cases": render_template(name, source)})
    write(FIXTURES / "jinja_semantics.cases.json", {"versions": versions, "cases": render_semantics()})


if __name__ == "__main__":
    main()
