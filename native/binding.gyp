{
  "targets": [
    {
      "target_name": "keyhold_native",
      "sources": ["keyhold_native.c", "sha256-chain.c"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_SUPPRESS_DEPRECATED"],
      "cflags": ["-O3", "-std=c11"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
