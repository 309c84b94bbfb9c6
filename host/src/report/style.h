#pragma once
// The CSS shared by the run report and the study page (inline, no external resource).

namespace ssl::host::report {

inline constexpr const char* kReportStyle = R"(
body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1300px;color:#222;padding:0 16px}
h1{margin-bottom:4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
.desc{color:#555;margin-top:0}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #e3e3e3}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:12px;font-size:12px;overflow-x:auto}
.alarm{background:#fdecea;border-left:4px solid #d93025;padding:6px 10px;margin:6px 0}
.ok{color:#1e7e34}img{image-rendering:pixelated;display:block}
.pics td{text-align:center;vertical-align:top;font-size:11px;color:#555;padding:3px}
.pics td.mismatch{background:#fdecea}.pics td.mismatch img{outline:3px solid #d93025}
.verdict{font-size:18px;padding:8px 12px;border-left:4px solid #1e7e34;background:#eef7f0}
.verdict.bad{border-left-color:#d93025;background:#fdecea}.verdict.unknown{border-left-color:#999;background:#f3f3f3}
a{color:#1f5fa8}.fired{color:#d93025}.none,.note{color:#666;font-size:13px}
)";

}  // namespace ssl::host::report
