"""/docs without a CDN: one self-contained HTML page that renders /openapi.json with a few lines of inline JS.

FastAPI's default /docs loads Swagger UI from a CDN, which an offline machine cannot reach.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spindrift gateway API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.op{margin:.6rem 0;padding:.4rem .6rem;border:1px solid #e3e3e3;border-radius:4px}
.m{display:inline-block;min-width:4.5rem;font-weight:bold;font-family:monospace}
.p{font-family:monospace}.d{color:#555;margin:.2rem 0 0 4.8rem;white-space:pre-wrap}
details{margin-left:4.8rem}pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.85em}
</style></head><body>
<h1>Spindrift gateway API</h1>
<p>The machine-readable schema is at <a href="/openapi.json">/openapi.json</a>.</p>
<div id="api">Loading /openapi.json…</div>
<script>
function esc(s){return String(s==null?"":s).replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]))}
fetch("/openapi.json").then(r=>r.json()).then(spec=>{
  const groups={};
  for(const [path,ops] of Object.entries(spec.paths||{})){
    for(const [method,op] of Object.entries(ops)){
      const tag=(op.tags||["other"])[0];(groups[tag]=groups[tag]||[]).push([method,path,op]);
    }
  }
  let html="";
  for(const [tag,ops] of Object.entries(groups)){
    html+="<h2>"+esc(tag)+"</h2>";
    for(const [method,path,op] of ops){
      html+='<div class="op"><span class="m">'+esc(method.toUpperCase())+'</span><span class="p">'+esc(path)+
        "</span> — "+esc(op.summary)+'<div class="d">'+esc(op.description)+"</div>";
      if(op.requestBody){html+="<details><summary>request body</summary><pre>"+
        esc(JSON.stringify(op.requestBody,null,2))+"</pre></details>";}
      html+="<details><summary>responses</summary><pre>"+esc(JSON.stringify(op.responses,null,2))+"</pre></details></div>";
    }
  }
  document.getElementById("api").innerHTML=html;
}).catch(e=>{document.getElementById("api").textContent="could not load /openapi.json: "+e});
</script></body></html>
"""


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """The API reference page (no external assets)."""
    return HTMLResponse(_PAGE)
