from bench.http.run import main

raise SystemExit(main())
