//! One module per subcommand, each composing connect, recipe, guard and child.

pub mod lock;
