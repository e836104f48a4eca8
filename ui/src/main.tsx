/** The web UI's entry: the header with its navigation, and the page the route picks. */
import "@xyflow/react/dist/style.css";
// d3-flame-graph does not export its stylesheet: it is read from the package folder
import "../../node_modules/d3-flame-graph/dist/d3-flamegraph.css";
import "./styles.css";
import { createRoot } from "react-dom/client";
import { ComponentPage } from "./component-page.tsx";
import { ComponentsPage } from "./components-page.tsx";
import { DebugPage } from "./debug-page.tsx";
import { GraphPage } from "./graph-page.tsx";
import { Link, useRoute } from "./router.tsx";

function Page(props: { readonly route: string }) {
  const { route } = props;
  if (route === "") return <ComponentsPage />;
  if (route === "graph") return <GraphPage />;
  if (route.startsWith("component/")) return <ComponentPage id={route.slice("component/".length)} />;
  if (route.startsWith("debug/")) return <DebugPage id={route.slice("debug/".length)} />;
  return <p className="error">No such page.</p>;
}

function App() {
  const route = useRoute();
  return (
    <>
      <header>
        <span className="brand">profile-relay</span>
        <nav>
          <Link to="./" className={route === "" ? "active" : ""}>
            Components
          </Link>
          <Link to="graph" className={route === "graph" ? "active" : ""}>
            Graph
          </Link>
        </nav>
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
