{
  "targets": [
    {
      "target_name": "icu_collation",
      "sources": ["icu_collation.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror"],
      "libraries": ["-ldl"]
    }
  ]
}
