from calcikg.cli import main

raise SystemExit(main())
