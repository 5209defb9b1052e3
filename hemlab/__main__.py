from hemlab.cli import main

raise SystemExit(main())
