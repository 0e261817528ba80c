"""Every message of the command line, in Chinese and English: help, placeholders, table
headers, results and refusals. The service's own errors come worded from
:mod:`sanquan.errors`; Click's from :data:`sanquan.cli.i18n.CLICK`."""

from __future__ import annotations

from sanquan.cli.i18n import Text
from sanquan.observability.metrics_directory import Problem as MetricsProblem

__all__ = ["Text"]

# Usage lines and placeholders
OPTIONS_METAVAR = Text("[选项]", "[OPTIONS]")
COMMAND_METAVAR = Text("命令 [参数]...", "COMMAND [ARGS]...")
ADDRESS = Text("地址", "ADDRESS")
PORT = Text("端口", "PORT")
COUNT = Text("个数", "COUNT")
SECONDS = Text("秒数", "SECONDS")
NAME = Text("名称", "NAME")
CODE = Text("学校标识码", "CODE")
UNIT = Text("责任单位", "UNIT")
SCHOOL = Text("高校", "SCHOOL")
TOKEN = Text("令牌", "TOKEN")
KEY = Text("代号", "KEY")
KIND = Text("导出内容", "KIND")
ID = Text("编号", "ID")
QUARTER = Text("季度", "QUARTER")
FILE = Text("文件", "FILE")
FOLDER = Text("目录", "FOLDER")
KEY_OR_FOLDER = Text("代号或目录", "KEY-OR-FOLDER")

# Shared
LANG_HELP = Text(
    "界面语言:zh(中文,默认)或 en(英文);未指定时按 LC_ALL/LANG,以 en 开头即为英文。可写在任何位置。",
    "Language: zh (Chinese, the default) or en (English); without it, an LC_ALL or LANG "
    "starting with en chooses English. Accepted anywhere on the line.",
)
JSON_HELP = Text(
    "以 JSON 输出,供脚本使用;出错时错误以 JSON 写到标准错误。",
    "Print JSON for scripts; errors, if any, go to stderr as JSON too.",
)
ERROR_LINE = Text("错误:{message}", "error: {message}")
WARNING_LINE = Text("警告:{message}", "warning: {message}")
ABOUT_OPTION = Text("{option}:{message}", "{option}: {message}")
UNKNOWN_CHOICE = Text("“{value}”不是可选值;可选:{choices}", "{value!r} is not one of {choices}")
NOT_AN_INTEGER = Text("“{value}”不是整数", "{value!r} is not a whole number")
TOO_SMALL = Text("{value} 太小,至少为 {minimum}", "{value} is too small; at least {minimum}")
NOT_A_QUARTER = Text(
    "“{value}”不是有效的季度,应写作年份加 Q1–Q4,例如 2027Q1",
    "{value!r} is not a quarter; write the year and quarter, e.g. 2027Q1",
)
BAD_LANGUAGE = Text(
    "--lang 的值“{value}”无效;可选:zh, en",
    "--lang {value!r} is not a language; use zh or en",
)
NOT_MIGRATED = Text(
    "数据库 {url} 不是当前结构:请先运行 sanquan migrate",
    "the database {url} is not at the current schema: run sanquan migrate first",
)
NO_DATABASE = Text(
    "没有数据库文件 {path}:SANQUAN_DATA_DIR(默认 var)相对于命令运行的目录;请在项目目录中运行,"
    "或设置 SANQUAN_DATA_DIR 或 SANQUAN_DATABASE_URL;新建数据库请运行 sanquan migrate",
    "there is no database file {path}: SANQUAN_DATA_DIR (var by default) is relative to the "
    "folder a command runs in; run it from the project's folder, or set SANQUAN_DATA_DIR or "
    "SANQUAN_DATABASE_URL; to make a new database, run sanquan migrate",
)
HELP_HINT = Text("查看帮助:{command} --help", "see {command} --help")
WROTE = Text("已写入 {path}", "wrote {path}")

ROOT_HELP = Text(
    "sanquan:北京高校“三全育人”季度点评服务(GraphQL)的命令行。",
    "sanquan: the command line of the GraphQL service for Beijing's 三全育人 quarterly reviews.",
)

# migrate, serve, demo
MIGRATE_HELP = Text("将数据库升级到当前结构。", "Bring the database to the current schema.")
MIGRATED = Text("数据库已是当前结构:{url}", "database is current: {url}")
SERVE_HELP = Text(
    "提供 GraphQL 服务(先升级数据库)。\n\n"
    "--workers 在同一端口运行多个进程(SQLite 或 PostgreSQL),也可在反向代理后运行多个命令。"
    "收到 SIGTERM 或 Ctrl-C 后不再接受新连接,处理完已收到的请求再退出。"
    "只信任 SANQUAN_TRUSTED_PROXIES 所列地址发来的 X-Forwarded-* 请求头。",
    "Serve the GraphQL API, migrating the database first.\n\n"
    "--workers runs several processes on one port (SQLite or PostgreSQL), or run several "
    "commands behind a reverse proxy. On SIGTERM or Ctrl-C it stops accepting connections, "
    "finishes the requests it has and exits. "
    "X-Forwarded-* headers are believed only from the addresses in SANQUAN_TRUSTED_PROXIES.",
)
HOST_HELP = Text("监听的地址。", "Address to listen on.")
PORT_HELP = Text("监听的端口(0:任一空闲端口)。", "Port to listen on (0: any free port).")
WORKERS_HELP = Text(
    "服务进程数;在 SQLite 上各进程轮流写入,在 PostgreSQL 上可在多台机器运行。",
    "Number of server processes; on SQLite they take turns to write, on PostgreSQL they may "
    "also run on several machines.",
)
SHUTDOWN_TIMEOUT_HELP = Text(
    "停止时等待处理中请求完成的最长秒数,超时则中止这些请求。",
    "At most this many seconds for the requests in flight to finish when stopping; "
    "those still running then are cancelled.",
)
WORKERS_IN_MEMORY = Text(
    "--workers 多于 1 个时数据库须是文件:内存中的 SQLite 数据库每个连接各有一个。"
    "请将 SANQUAN_DATABASE_URL 设为 SQLite 文件或 PostgreSQL,或去掉 --workers。",
    "--workers above 1 needs a database file: an SQLite database in memory is one per "
    "connection. Set SANQUAN_DATABASE_URL to an SQLite file or PostgreSQL, or leave out "
    "--workers.",
)
METRICS_DIRECTORY = {
    MetricsProblem.NOT_A_DIRECTORY: Text("不是目录", MetricsProblem.NOT_A_DIRECTORY.value),
    MetricsProblem.NOT_WRITABLE: Text("不可写入", MetricsProblem.NOT_WRITABLE.value),
    MetricsProblem.IN_USE: Text(
        "正由另一个 sanquan serve 使用;每个 serve 命令须有自己的目录",
        MetricsProblem.IN_USE.value,
    ),
    MetricsProblem.FOREIGN_FILE: Text(
        "含有不属于 prometheus-client 的文件 {name},而抓取会读取其中每个 *.db 文件;"
        "请为指标另设专用目录",
        MetricsProblem.FOREIGN_FILE.value,
    ),
    MetricsProblem.SYSTEM: Text("{name}", MetricsProblem.SYSTEM.value),
}
"""Why ``PROMETHEUS_MULTIPROC_DIR`` cannot hold the metrics; the English is the error's own."""
CANNOT_LISTEN = Text(
    "无法在 {host}:{port} 上监听:{reason}",
    "cannot listen on {host}:{port}: {reason}",
)
DID_NOT_START = Text(
    "服务未能启动,原因见上方日志。", "the service did not start; the log above says why."
)
SERVING = Text(
    "sanquan 已在 http://{host}:{port}/graphql 提供服务({url},{workers} 个进程)",
    "sanquan on http://{host}:{port}/graphql ({url}, {workers} process(es))",
)
DEMO_HELP = Text(
    "载入演示数据并打印令牌:北京 92 所高校、各角色账号、往期点评、点评发现和进展报告。\n\n"
    "会先清空数据库,因此 SQLite 以外的数据库须加 --yes。指定 --port 时,"
    "若该端口已被占用(多半是仍在运行的演示),不做任何改动。",
    "Load the demo and print its tokens: the 92 Beijing institutions, an account per role, "
    "past sessions, findings and progress reports.\n\n"
    "It empties the database first, so anything but SQLite needs --yes. Given --port, it "
    "changes nothing while that port is taken (most likely by a demo still serving).",
)
RESET_HELP = Text("先清空数据库。", "Start from an empty database.")
YES_HELP = Text("允许清空 SQLite 以外的数据库。", "Allow emptying a database that is not SQLite.")
DEMO_HOST_HELP = Text("演示服务将使用的地址。", "Address the demo will be served on.")
DEMO_PORT_HELP = Text(
    "演示服务将使用的端口:若已被占用,不做任何改动。",
    "Port the demo will be served on: if it is taken, nothing is changed.",
)
PORT_TAKEN = Text(
    "端口 {host}:{port} 已被占用,可能是仍在运行的演示服务:数据库和令牌都未改动。"
    "请先停止它(在其终端按 Ctrl-C)再运行;要同时运行第二个演示,请另用数据目录和端口"
    "(SANQUAN_DATA_DIR=var/demo2 make demo PORT=8001)。",
    "port {host}:{port} is taken, most likely by a demo still serving: the database and "
    "tokens are unchanged. Stop it first (Ctrl-C in its terminal); to run a second demo "
    "beside it, give it its own data directory and port "
    "(SANQUAN_DATA_DIR=var/demo2 make demo PORT=8001).",
)
WOULD_EMPTY = Text(
    "不会清空 {url}:确需清空请加 --yes",
    "refusing to empty {url}: add --yes if you mean it",
)
LOADING_DEMO = Text("正在载入演示数据…", "loading demo data…")
DEMO_TOKENS = Text(
    "演示令牌(请求时发送 'Authorization: Bearer <令牌>'):",
    "demo tokens (send as 'Authorization: Bearer <token>'):",
)
TOKENS_WRITTEN = Text("令牌也已写入 {path}", "tokens also written to {path}")
DEMO_SESSIONS = Text(
    "点评工作会:{concluded}(已结束),{open}(进行中)",
    "review sessions: {concluded} (concluded), {open} (open)",
)
DEMO_ROTATION = Text(
    "本周期轮转计划已采纳:另有 {count} 次点评工作会待开",
    "rotation of this cycle adopted: {count} more sessions planned",
)

# token
TOKEN_HELP = Text("管理账号及其令牌。", "Accounts and their bearer tokens.")
TOKEN_CREATE_HELP = Text(
    "创建账号并打印其编号和令牌。\n\n"
    "令牌只显示这一次,服务端只保存其哈希值。账号编号用于在变更中指定账号,"
    "例如 appointExperts 的专家。",
    "Create an account and print its id and token.\n\n"
    "The token is shown once; only its hash is kept. Mutations name accounts by the id, "
    "e.g. the experts of appointExperts.",
)
ROLE_HELP = Text("账号的角色。", "What the account may do.")
NAME_HELP = Text("账号名称(持有人)。", "Who holds it.")
INSTITUTION_HELP = Text(
    "INSTITUTION 账号所代表高校的学校标识码,或 EXPERT 账号的所属高校。",
    "School code: the school an INSTITUTION account represents, or an EXPERT's affiliation.",
)
UNIT_HELP = Text("UNIT 账号的责任单位,例如 市教委。", "A UNIT account's unit, e.g. 市教委.")
UNIT_OWNER_HELP = Text(
    "UNIT 账号的责任单位所属高校;市级单位不填。",
    "The school a UNIT's unit belongs to; omit for a municipal one.",
)
ACCOUNT_LINE = Text("账号编号 {id}:{name}({role})", "account id {id}: {name} ({role})")
REPRESENTS = {
    "INSTITUTION": Text("代表高校:{what}", "represents: {what}"),
    "EXPERT": Text("所属高校(利益回避):{what}", "affiliated with (conflict of interest): {what}"),
    "UNIT": Text("责任单位:{what}", "reports for the unit: {what}"),
    "ADMIN": Text("{what}", "{what}"),
    "VIEWER": Text("{what}", "{what}"),
}
TOKEN_LINE = Text("令牌 {token}", "token {token}")
TOKEN_ONCE = Text(
    "令牌只显示这一次,服务端只保存其哈希值。",
    "The token is shown only this once; only its hash is kept.",
)
TOKEN_REVOKE_HELP = Text(
    "吊销令牌:此后持该令牌的请求一律拒绝。",
    "Revoke a token: requests bearing it are refused from now on.",
)
NO_SUCH_TOKEN = Text("没有这个有效的令牌", "no such active token")
REVOKED = Text("已吊销", "revoked")

# tables
TABLES_HELP = Text("责任分工表(一张表)。", "Responsibility tables (一张表).")
TABLES_IMPORT_HELP = Text(
    "导入(或刷新)随服务发布的方案及其任务和责任单位:京教组发[2019]3号,"
    "以及一所高校的 22 项意识形态工作举措。任一方案中有无法识别的单位名称时,什么都不导入。",
    "Import (or refresh) the shipped plans with their tasks and units: 京教组发[2019]3号 "
    "and a school's 22 ideology-work measures. A bad unit name in any of them imports "
    "nothing.",
)
PLAN_KEYS_HELP = Text(
    "方案代号;可重复。默认导入全部。", "Key of a shipped plan; repeat for several. Default: all."
)
UNKNOWN_PLAN_KEYS = Text(
    "没有随服务发布的方案:{keys};可选:{known}",
    "no shipped plan {keys}; the shipped ones: {known}",
)
PLAN_IMPORTED = Text(
    "{key}({document}):已导入 {count} 项任务", "{key} ({document}): {count} tasks imported"
)

# export
EXPORT_HELP = Text(
    "导出供 Excel 使用的表格(.xlsx,或 UTF-8 编码的 CSV),内容与委员会看到的一致。\n\n"
    "导出内容:plan-table(方案的责任分工表,需 --plan)、unit-table(一个责任单位的任务,"
    "需 --unit)、scores(点评会评分表,需 --session)、results(点评结果,需 --session)、"
    "rectification(整改事项清单)。文件默认以导出内容的中文名保存在当前目录。",
    "Export a table for Excel (.xlsx, or CSV in UTF-8), as the commission sees it.\n\n"
    "KIND: plan-table (a plan's responsibility table, needs --plan), unit-table (one unit's "
    "tasks, needs --unit), scores (a session's score sheet, needs --session), results (a "
    "session's results, needs --session), rectification (the rectification items). Files "
    "land in the current directory under the export's Chinese name.",
)
EXPORT_PLAN_HELP = Text("plan-table:方案代号。", "plan-table: the plan's key.")
EXPORT_UNIT_HELP = Text("unit-table:责任单位名称。", "unit-table: the unit's name.")
EXPORT_UNIT_OWNER_HELP = Text(
    "unit-table:责任单位所属高校;市级单位不填。",
    "unit-table: the school owning the unit; omit for a municipal one.",
)
EXPORT_SESSION_HELP = Text(
    "scores、results:点评工作会的编号(如 1),或其在 GraphQL 中的 id。",
    "scores, results: the session's number (e.g. 1) or its GraphQL id.",
)
QUARTER_HELP = Text(
    "表格显示哪个季度的进展,例如 2026Q4;默认本季度。",
    "The quarter whose progress the tables show, e.g. 2026Q4; default: this quarter.",
)
EXPORT_INSTITUTION_HELP = Text(
    "rectification:只导出这所高校(学校标识码)。", "rectification: one school's code only."
)
EXPORT_STATUS_HELP = Text("rectification:只导出这一状态。", "rectification: one status only.")
EXPORT_OVERDUE_HELP = Text("rectification:只导出已逾期的。", "rectification: only overdue items.")
FORMAT_HELP = Text("文件格式。", "File format.")
OUTPUT_HELP = Text(
    "写入的文件;默认以导出内容命名。", "File to write; named after the export by default."
)
EXPORT_NEEDS = Text(
    "{option}:sanquan export {kind} 必须指定此选项", "{option}: sanquan export {kind} needs it"
)
EXPORT_UNUSED = Text(
    "{option}:sanquan export {kind} 不使用此选项", "{option}: sanquan export {kind} does not use it"
)
WROTE_ROWS = Text("已写入 {path}({count} 行)", "wrote {path} ({count} rows)")
EXPORT_SCHEMA_HELP = Text(
    "写出 GraphQL 模式(SDL),即 schema.graphql 的内容。",
    "Write the GraphQL schema (SDL) that schema.graphql holds.",
)
SCHEMA_OUTPUT_HELP = Text("写入的文件。", "Where to write the SDL.")

# plugins
PLUGINS_HELP = Text("指标体系插件。", "Indicator-set plugins.")
PLUGINS_LIST_HELP = Text(
    "列出已安装的插件及其版本、指标体系和钩子;有插件未能载入时以非零状态退出。",
    "List the installed plugins with their versions, sets and hooks; exits non-zero if any "
    "failed to load.",
)
PLUGINS_TITLE = Text("已安装的插件", "installed plugins")
PLUGINS_COLUMNS = (
    Text("发行包", "distribution"),
    Text("版本", "version"),
    Text("指标体系", "indicator sets"),
    Text("钩子", "hooks"),
)
PLUGINS_NEW_HELP = Text(
    "写出一个可用的插件包作为起点(一个指标、入口点和测试)。\n\n"
    "目标可以是指标体系代号(my-set,写到 目录/sanquan-plugin-my-set),"
    "也可以是目录路径(~/src/sanquan-plugin-my-set 或 ./my-set,代号取自目录名)。",
    "Write a working plugin package to start from (one indicator, entry point, tests).\n\n"
    "The target is a set key (my-set, written to FOLDER/sanquan-plugin-my-set) or a folder "
    "path (~/src/sanquan-plugin-my-set or ./my-set; the key comes from the folder's name).",
)
DIRECTORY_HELP = Text(
    "以代号为目标时,插件包写在哪个目录下。", "Where a package named by its key is written."
)
SCAFFOLD_REFUSED = {
    "name": Text(
        "“{name}”不能用作指标体系代号:请用小写字母、数字和单个连字符,并以字母开头",
        "{name!r} cannot be a set key: use lower-case letters, digits and single hyphens, "
        "starting with a letter",
    ),
    "exists": Text(
        "{root} 已存在:请换一个名称或目录", "{root} exists; choose another name or directory"
    ),
}
PLUGIN_WRITTEN = Text(
    "已写入 {root}。下一步:cd {root},pytest 运行其测试;pip install {root} 后重启服务",
    "wrote {root}. Next: cd {root} and run its tests with pytest; pip install {root} and "
    "restart the service",
)

# schedule
SCHEDULE_HELP = Text("三年轮转。", "The three-year rotation.")
PLAN_HELP = Text(
    "在现有高校池上规划一个周期(12 个季度)并打印,每个季度一行。",
    "Plan a cycle (12 quarters) over the active pool and print it, a quarter per row.",
)
START_HELP = Text("周期的第一个季度,例如 2027Q1。", "First quarter of the cycle, e.g. 2027Q1.")
SESSIONS_PER_QUARTER_HELP = Text(
    "每季度点评会场数(k)。默认:容纳全部高校所需的最少场数(92 所为 2)。",
    "Sessions each quarter (k). Default: the fewest that hold the pool (2 for 92).",
)
POLICY_HELP = Text(
    "同场高校的组成:mix(混合类别)或 group(同类别集中)。",
    "How sessions are composed: mix categories, or group them.",
)
PANEL_SIZE_HELP = Text(
    "每场专家人数;0 表示不规划专家组。", "Experts per session; 0 plans no panels."
)
SAVE_HELP = Text("保存为草稿计划,以便采纳。", "Keep the plan as a draft to adopt.")
PLANNING = Text("正在规划…", "planning…")
ROTATION_TITLE = Text("轮转计划 {first}–{last}", "rotation {first} – {last}")
QUARTER_COLUMN = Text("季度", "quarter")
SESSION_COLUMN = Text("第 {n} 场", "session {n}")
DRAFT_SAVED = Text(
    "已保存为草稿计划 {id};用 adoptRotationPlan 变更采纳",
    "saved as draft plan {id}; adopt it with the adoptRotationPlan mutation",
)
PANELS_IN_JSON = Text(
    "专家组未列在表中:加 --json 可看到每场的专家。",
    "The panels are not in the table: add --json to see each session's experts.",
)

# backup, restore; the metrics' own address (serve)
BACKUP_HELP = Text(
    "将 SQLite 数据库备份到文件(服务运行中亦可):"
    "备份为开始时刻的一致快照,经完整性检查后才以该文件名写入。"
    "PostgreSQL 请用 pg_dump -Fc。",
    "Back the SQLite database up to FILE, also while it is served: a consistent snapshot as "
    "of the moment the backup began, checked for integrity before it takes the file's name. "
    "Back up PostgreSQL with pg_dump -Fc.",
)
BACKUP_FORCE_HELP = Text("覆盖已有的备份文件。", "Replace an existing backup file.")
BACKED_UP = Text(
    "已备份到 {path}(迁移版本 {revision},{size} 字节)",
    "backed up to {path} (migration revision {revision}, {size} bytes)",
)
RESTORE_HELP = Text(
    "以备份文件恢复 SQLite 数据库(须先停止服务):先检查备份是本服务的完整数据库、迁移版本已知。"
    "PostgreSQL 请用 pg_restore。",
    "Restore the SQLite database from a backup FILE, with the service stopped: the backup is "
    "first checked to be an intact database of this service at a known migration revision. "
    "Restore PostgreSQL with pg_restore.",
)
RESTORE_FORCE_HELP = Text(
    "替换已有的数据库(正在使用中的仍不替换)。",
    "Replace an existing database (one in use is never replaced).",
)
RESTORED = Text(
    "已恢复到 {path}(迁移版本 {revision},{size} 字节)",
    "restored to {path} (migration revision {revision}, {size} bytes)",
)
RESTORED_NOT_CURRENT = Text(
    "备份来自较早的版本:提供服务前请运行 sanquan migrate(sanquan serve 会自动运行)",
    "the backup is from an earlier version: sanquan serve migrates it (or run sanquan migrate)",
)
SERVING_METRICS = Text(
    "指标(无需令牌)在 http://{host}:{port}/metrics",
    "metrics (no token) on http://{host}:{port}/metrics",
)
METRICS_ADDRESS_FAILED = Text(
    "SANQUAN_METRICS_ADDRESS:无法在 {host}:{port} 提供指标:{problem}",
    "SANQUAN_METRICS_ADDRESS: cannot serve the metrics on {host}:{port}: {problem}",
)
