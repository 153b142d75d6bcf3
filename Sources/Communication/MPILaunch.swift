/// What the environment says about an MPI launcher having started this process.
///
/// MPI is initialized only when a launcher started the process: Open MPI's `MPI_Init` in a process started
/// by hand (a "singleton") costs about 0.4 s and spawns a runtime daemon, which a plain `charnn sample`
/// must not pay. Launchers announce themselves through the environment:
/// - Open MPI's `mpirun`: `OMPI_COMM_WORLD_SIZE`, `OMPI_COMM_WORLD_RANK`;
/// - MPICH's Hydra `mpiexec`, Slurm's PMI-2: `PMI_SIZE`, `PMI_RANK`;
/// - PMIx launchers (Open MPI 5, `srun --mpi=pmix`): `PMIX_RANK`, without a size.
public struct MPILaunch: Equatable, Sendable {
    /// The variable that revealed the launcher.
    public var variable: String
    /// The number of processes started, when the launcher says.
    public var size: Int?
    /// This process's rank, when the launcher says.
    public var rank: Int?

    public init(variable: String, size: Int?, rank: Int?) {
        self.variable = variable
        self.size = size
        self.rank = rank
    }

    /// The launcher described by `environment`, or nil when the process was started by hand.
    public static func detect(in environment: [String: String]) -> MPILaunch? {
        let known = [("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"), ("PMI_SIZE", "PMI_RANK")]
        for (sizeName, rankName) in known where environment[sizeName] != nil {
            return MPILaunch(
                variable: sizeName, size: environment[sizeName].flatMap { Int($0) },
                rank: environment[rankName].flatMap { Int($0) })
        }
        if let rank = environment["PMIX_RANK"] {
            return MPILaunch(variable: "PMIX_RANK", size: nil, rank: Int(rank))
        }
        return nil
    }
}
