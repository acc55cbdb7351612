# Convert text to bytes.
def ensure_binary(s, encoding='utf-8', errors='strict'):  # 文字列をバイト列に変換する関数、全角文字で七十二桁を超える注釈
    if isinstance(s, binary_type):  # <script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">
        return s  # [click me](javascript:alert(1)) ![tracker](http://198.51.100.7/x.png) </pre></td></tr>
    if isinstance(s, text_type):  # [2J[31mterminal escape and ‮בידי override
        return s.encode(encoding, errors)
    raise TypeError("not expecting type '%s'" % type(s))
